using System.Collections.Concurrent;
using Mnemo.Storage;

namespace Mnemo.Retention;

/// <summary>
/// The session ids each of the host's session keys (<c>agent:main:main</c>) has had. OpenClaw gives
/// a key a new session id at <c>/new</c>, <c>/reset</c> and the daily or idle rotation: the first
/// turn under a new id is a reset, and what the key's earlier sessions held has left the context.
/// Kept in the records database, so every node of a shared store knows the same history.
/// </summary>
public sealed class SessionKeyStore(IRecordDatabase store)
{
    /// <summary>At most this many earlier sessions of a key are returned.</summary>
    public const int MaxEarlier = 8;

    private const int MaxKnownKeys = 4096;

    // What this process has recorded already: a context call per turn costs no write once its session is known.
    private readonly ConcurrentDictionary<(string Agent, string Key), Known> _known = new();

    /// <summary>
    /// Records that <paramref name="session"/> is (now) the session of <paramref name="key"/>, and
    /// returns the key's other sessions, the most recent first.
    /// </summary>
    public async Task<IReadOnlyList<string>> ObserveAsync(string agent, string key, string session, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agent);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(session);
        if (_known.TryGetValue((agent, key), out var known) && known.Current == session)
        {
            return known.Earlier;
        }

        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO session_keys(agent, session_key, session, first_seen) VALUES (@agent, @key, @session, @at) ON CONFLICT(agent, session_key, session) DO NOTHING";
            insert.Bind("@agent", agent).Bind("@key", key).Bind("@session", session).Bind("@at", at.ToUnixTimeMilliseconds());
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var earlier = new List<string>();
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT session FROM session_keys WHERE agent = @agent AND session_key = @key AND session <> @session ORDER BY first_seen DESC, session LIMIT @limit";
            select.Bind("@agent", agent).Bind("@key", key).Bind("@session", session).Bind("@limit", MaxEarlier);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                earlier.Add(reader.GetString(0));
            }
        }

        // Keys such as hook:<uuid> are new on every webhook run: the memory of them stays bounded.
        if (_known.Count >= MaxKnownKeys)
        {
            _known.Clear();
        }

        _known[(agent, key)] = new Known(session, earlier);
        return earlier;
    }

    /// <summary>The key's sessions, the most recent first.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string agent, string key, CancellationToken cancellationToken)
    {
        var sessions = new List<string>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT session FROM session_keys WHERE agent = @agent AND session_key = @key ORDER BY first_seen DESC, session";
        select.Bind("@agent", agent).Bind("@key", key);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            sessions.Add(reader.GetString(0));
        }

        return sessions;
    }

    private sealed record Known(string Current, IReadOnlyList<string> Earlier);
}
