using System.Data.Common;
using System.Text.Json;
using Mnemo.Digests;
using Mnemo.Storage;

namespace Mnemo.Signals;

/// <summary>Signals in the store, deduplicated by key across runs.</summary>
public sealed class SignalStore(IRecordDatabase store) : IForgetListener
{
    /// <summary>A signal citing a forgotten memory goes: its title and evidence quote it.</summary>
    public Task OnForgottenAsync(IReadOnlyList<long> memoryIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memoryIds);
        return memoryIds.Count == 0 ? Task.CompletedTask : store.ExecuteAsync($"DELETE FROM signals WHERE EXISTS (SELECT 1 FROM {store.Dialect.JsonElements("signals.evidence", "cited")} WHERE {store.Dialect.JsonInteger("cited")} IN ({RecordSql.IdList(memoryIds)}))", cancellationToken);
    }

    private const string Columns = "id, kind, key, severity, title, agents, evidence, due_at, first_seen, last_seen, detections, delivered_at";

    /// <summary>Adds a new signal, or updates the one with the same key; says which.</summary>
    public async Task<(Signal Signal, bool Added)> UpsertAsync(DetectedSignal detected, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(detected);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var existing = await FindAsync(connection, transaction, detected.Key, cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            if (existing is null)
            {
                command.CommandText = """
                    INSERT INTO signals(kind, key, severity, title, agents, evidence, due_at, first_seen, last_seen, detections)
                    VALUES (@kind, @key, @severity, @title, @agents, @evidence, @due, @now, @now, 1)
                    """;
                command.Bind("@evidence", Serialize(detected.Evidence));
            }
            else
            {
                command.CommandText = """
                    UPDATE signals SET severity = @severity, title = @title, agents = @agents, evidence = @evidence,
                        due_at = @due, last_seen = @now, detections = detections + 1
                    WHERE key = @key
                    """;
                command.Bind("@evidence", Serialize(existing.Evidence.Union(detected.Evidence).Order().TakeLast(50).ToList()));
            }

            command.Bind("@kind", detected.Kind);
            command.Bind("@key", detected.Key);
            command.Bind("@severity", detected.Severity);
            command.Bind("@title", detected.Title);
            command.Bind("@agents", JsonSerializer.Serialize(detected.Agents, DigestJsonContext.Default.IReadOnlyListString));
            command.Bind("@due", detected.DueAt is { } due ? due.ToUnixTimeMilliseconds() : DBNull.Value);
            command.Bind("@now", now.ToUnixTimeMilliseconds());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var stored = await FindAsync(connection, transaction, detected.Key, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (stored!, existing is null);
    }

    /// <summary>Signals last seen at or after <paramref name="since"/>, newest first.</summary>
    public async Task<IReadOnlyList<Signal>> ListAsync(DateTimeOffset since, string? kind, string? agent, int limit, CancellationToken cancellationToken)
    {
        var result = new List<Signal>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns} FROM signals
            WHERE last_seen >= @since AND (@kind IS NULL OR kind = @kind)
              AND (@agent IS NULL OR EXISTS (SELECT 1 FROM {store.Dialect.JsonElements("signals.agents", "a")} WHERE {store.Dialect.JsonText("a")} = @agent))
            ORDER BY last_seen DESC, id DESC LIMIT @limit
            """;
        command.Bind("@since", since.ToUnixTimeMilliseconds());
        command.BindText("@kind", kind);
        command.BindText("@agent", agent);
        command.Bind("@limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(Read(reader));
        }

        return result;
    }

    public async Task<Signal?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM signals WHERE id = @id";
        command.Bind("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public Task MarkDeliveredAsync(long id, DateTimeOffset at, CancellationToken cancellationToken) =>
        store.MarkDeliveredAsync("signals", id, at, cancellationToken);

    private static async Task<Signal?> FindAsync(DbConnection connection, DbTransaction transaction, string key, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM signals WHERE key = @key";
        command.Bind("@key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    private static string Serialize(IReadOnlyList<long> ids) => JsonSerializer.Serialize(ids, DigestJsonContext.Default.IReadOnlyListInt64);

    private static Signal Read(DbDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        JsonSerializer.Deserialize(reader.GetString(5), DigestJsonContext.Default.IReadOnlyListString) ?? [],
        JsonSerializer.Deserialize(reader.GetString(6), DigestJsonContext.Default.IReadOnlyListInt64) ?? [],
        reader.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)),
        reader.GetInt32(10),
        reader.IsDBNull(11) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(11)));
}
