using Mnemo.Domain;

namespace Mnemo.Storage;

/// <summary>
/// Resets that keep the session id (OpenClaw 2026.9's <c>/new</c> appends a <c>reset</c> entry to
/// the same transcript), from the transcript and from the bridge plugin's <c>before_reset</c>: what
/// the session held before the latest one is no longer in the model's context.
/// </summary>
public sealed class SessionResetStore(IRecordDatabase store)
{
    /// <summary>Records a reset (again: no change; the transcript's entry adds its position to the plugin's report).</summary>
    public async Task RecordAsync(SessionReset reset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reset);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO session_resets(agent, session, at, seq, reason, origin) VALUES (@agent, @session, @at, @seq, @reason, @origin)
            ON CONFLICT(agent, session, at) DO UPDATE SET seq = COALESCE(session_resets.seq, excluded.seq), reason = COALESCE(session_resets.reason, excluded.reason)
            """;
        command.Bind("@agent", reset.Agent).Bind("@session", reset.Session).Bind("@at", reset.Timestamp.ToUnixTimeMilliseconds())
            .Bind("@seq", reset.Sequence, System.Data.DbType.Int64).BindText("@reason", reset.Reason).Bind("@origin", reset.Origin);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The session's latest reset, or null when it never started over.</summary>
    public async Task<SessionReset?> LatestAsync(string agent, string session, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, at, reason, origin FROM session_resets WHERE agent = @agent AND session = @session ORDER BY at DESC LIMIT 1";
        command.Bind("@agent", agent).Bind("@session", session);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new SessionReset(agent, session, reader.IsDBNull(0) ? null : reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3));
    }
}
