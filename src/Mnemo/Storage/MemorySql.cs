using System.Data.Common;

namespace Mnemo.Storage;

/// <summary>
/// The memory store's SQL that SQLite and PostgreSQL run word for word, written once: named
/// parameters as <c>@name</c> (both providers accept them) and plain ADO.NET, on the connection
/// each store opens. What differs between the two (full-text search, arrays of ids, JSON, locks)
/// stays in the stores.
/// </summary>
internal static class MemorySql
{
    public static async Task<string?> EmbeddingModelAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM store_meta WHERE key = 'embedding_model'";
        return (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<string?> CursorAsync(DbConnection connection, string source, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT cursor FROM cursors WHERE source = @s";
        command.Bind("@s", source);
        return (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<long>> OlderTurnsAsync(DbConnection connection, DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM memories WHERE ts < @before AND role NOT IN ('digest', 'note') ORDER BY ts LIMIT @limit";
        command.Bind("@before", before.ToUnixTimeMilliseconds()).Bind("@limit", limit);
        var ids = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    public static async Task<string?> PrecedingTextAsync(DbConnection connection, string agent, string session, long sequence, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT text FROM memories WHERE agent = @a AND session = @s AND seq < @q ORDER BY seq DESC, chunk DESC LIMIT 1";
        command.Bind("@a", agent).Bind("@s", session).Bind("@q", sequence);
        return (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<long?> FindIdAsync(DbConnection connection, string agent, string session, string entryId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM memories WHERE agent = @agent AND session = @session AND entry_id = @entry ORDER BY chunk LIMIT 1";
        command.Bind("@agent", agent).Bind("@session", session).Bind("@entry", entryId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long id ? id : null;
    }

    public static async Task<IReadOnlyList<string>> ActiveAgentsAsync(DbConnection connection, DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT agent FROM memories WHERE ts >= @from AND ts < @until AND role <> 'digest' ORDER BY agent";
        command.Bind("@from", from.ToUnixTimeMilliseconds()).Bind("@until", until.ToUnixTimeMilliseconds());
        var agents = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            agents.Add(reader.GetString(0));
        }

        return agents;
    }

    public static async Task<(long Watermark, long Count)> WatermarkAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT COALESCE(MAX(id), 0) FROM audit_log), (SELECT COUNT(*) FROM memories)";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public static async Task<IReadOnlyList<(long EventId, string Action, long MemoryId)>> ChangesSinceAsync(DbConnection connection, long watermark, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, action, memory_id FROM audit_log WHERE id > @w ORDER BY id";
        command.Bind("@w", watermark);
        var changes = new List<(long, string, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            changes.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return changes;
    }
}
