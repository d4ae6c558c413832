using System.Data.Common;
using System.Text.Json;
using Mnemo.Storage;

namespace Mnemo.Digests;

/// <summary>Digests in the store; one per kind, agent and period.</summary>
public sealed class DigestStore(IRecordDatabase store)
{
    private const string Columns = "id, kind, agent, period_start, period_end, method, text, lines, sources, memory_id, prompt_run, created_at, delivered_at";

    /// <summary>Stores a digest unless one exists for its kind, agent and period; returns the stored one and whether it is new.</summary>
    public async Task<(Digest Digest, bool Added)> AddAsync(Digest digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(digest);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO digests(kind, agent, period_start, period_end, method, text, lines, sources, memory_id, prompt_run, created_at)
            VALUES (@kind, @agent, @start, @end, @method, @text, @lines, @sources, @memory, @run, @created)
            ON CONFLICT(kind, agent, period_start) DO NOTHING
            RETURNING id
            """;
        command.Bind("@kind", KindName(digest.Kind));
        command.Bind("@agent", digest.Agent);
        command.Bind("@start", digest.PeriodStart.ToUnixTimeMilliseconds());
        command.Bind("@end", digest.PeriodEnd.ToUnixTimeMilliseconds());
        command.Bind("@method", digest.Method);
        command.Bind("@text", digest.Text);
        command.Bind("@lines", JsonSerializer.Serialize(digest.Lines, DigestJsonContext.Default.IReadOnlyListDigestLine));
        command.Bind("@sources", digest.Sources);
        command.Bind("@memory", (object?)digest.MemoryId ?? DBNull.Value);
        command.Bind("@run", (object?)digest.PromptRunId ?? DBNull.Value);
        command.Bind("@created", digest.CreatedAt.ToUnixTimeMilliseconds());
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long id)
        {
            return (digest with { Id = id }, true);
        }

        var existing = await FindAsync(digest.Kind, digest.Agent, digest.PeriodStart, cancellationToken).ConfigureAwait(false);
        return (existing ?? throw new InvalidOperationException("a digest was neither added nor found"), false);
    }

    public async Task<Digest?> FindAsync(DigestKind kind, string agent, DateTimeOffset periodStart, CancellationToken cancellationToken)
    {
        var found = await QueryAsync("kind = @kind AND agent = @agent AND period_start = @start", 1, cancellationToken, ("@kind", KindName(kind)), ("@agent", agent), ("@start", periodStart.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : null;
    }

    public async Task<Digest?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync("id = @id", 1, cancellationToken, ("@id", id)).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>The digests with a line citing any of these memories.</summary>
    public Task<IReadOnlyList<Digest>> CitingAsync(IReadOnlyCollection<long> memoryIds, CancellationToken cancellationToken) =>
        QueryAsync(
            $"EXISTS (SELECT 1 FROM {store.Dialect.JsonElements("digests.lines", "line")}, {store.Dialect.JsonElements("line.value", "cited", "memoryIds")} WHERE {store.Dialect.JsonInteger("cited")} IN ({RecordSql.IdList(memoryIds)}))",
            10_000,
            cancellationToken);

    /// <summary>Replaces a digest's text and lines (after lines were taken out).</summary>
    public async Task ReplaceAsync(long id, string text, IReadOnlyList<DigestLine> lines, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE digests SET text = @text, lines = @lines WHERE id = @id";
        command.Bind("@id", id);
        command.Bind("@text", text);
        command.Bind("@lines", JsonSerializer.Serialize(lines, DigestJsonContext.Default.IReadOnlyListDigestLine));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Digests whose period starts in [<paramref name="from"/>, <paramref name="until"/>), oldest first.</summary>
    public Task<IReadOnlyList<Digest>> ListAsync(DigestKind? kind, string? agent, DateTimeOffset from, DateTimeOffset until, int limit, CancellationToken cancellationToken) =>
        QueryAsync(
            "(@kind IS NULL OR kind = @kind) AND (@agent IS NULL OR agent = @agent) AND period_start >= @from AND period_start < @until",
            limit,
            cancellationToken,
            ("@kind", kind is { } k ? KindName(k) : null),
            ("@agent", agent),
            ("@from", from.ToUnixTimeMilliseconds()),
            ("@until", until.ToUnixTimeMilliseconds()));

    /// <summary>The newest digests, newest first.</summary>
    public async Task<IReadOnlyList<Digest>> LatestAsync(DigestKind? kind, string? agent, int limit, CancellationToken cancellationToken)
    {
        var found = await QueryAsync("(@kind IS NULL OR kind = @kind) AND (@agent IS NULL OR agent = @agent) ORDER BY period_start DESC, id DESC", limit, cancellationToken, ("@kind", kind is { } k ? KindName(k) : null), ("@agent", agent)).ConfigureAwait(false);
        return found;
    }

    /// <summary>The end of the latest digest of a kind, any agent: where the next run picks up.</summary>
    public async Task<DateTimeOffset?> LatestPeriodEndAsync(DigestKind kind, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MAX(period_end) FROM digests WHERE kind = @kind";
        command.Bind("@kind", KindName(kind));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long end ? DateTimeOffset.FromUnixTimeMilliseconds(end) : null;
    }

    /// <summary>Digests stored without their searchable copy (a stop came between the two writes), oldest first.</summary>
    public Task<IReadOnlyList<Digest>> WithoutMemoryAsync(int limit, CancellationToken cancellationToken) =>
        QueryAsync("memory_id IS NULL ORDER BY id", limit, cancellationToken);

    public async Task SetMemoryAsync(long id, long memoryId, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE digests SET memory_id = @memory WHERE id = @id";
        command.Bind("@id", id);
        command.Bind("@memory", memoryId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task MarkDeliveredAsync(long id, DateTimeOffset at, CancellationToken cancellationToken) =>
        store.MarkDeliveredAsync("digests", id, at, cancellationToken);

    /// <summary>Deletes digests whose period ended before <paramref name="before"/>; returns the memory ids of their searchable copies (null where none).</summary>
    public async Task<IReadOnlyList<long?>> DeleteBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var memories = new List<long?>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM digests WHERE period_end < @before RETURNING memory_id";
        command.Bind("@before", before.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            memories.Add(reader.IsDBNull(0) ? null : reader.GetInt64(0));
        }

        return memories;
    }

    public static string KindName(DigestKind kind) => kind switch
    {
        DigestKind.Hourly => "hourly",
        DigestKind.Daily => "daily",
        _ => "weekly",
    };

    public static DigestKind? ParseKind(string? name) => name?.ToLowerInvariant() switch
    {
        "hourly" => DigestKind.Hourly,
        "daily" => DigestKind.Daily,
        "weekly" => DigestKind.Weekly,
        _ => null,
    };

    private async Task<IReadOnlyList<Digest>> QueryAsync(string where, int limit, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var result = new List<Digest>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = where.Contains("ORDER BY", StringComparison.Ordinal)
            ? $"SELECT {Columns} FROM digests WHERE {where} LIMIT @limit"
            : $"SELECT {Columns} FROM digests WHERE {where} ORDER BY period_start, id LIMIT @limit";
        foreach (var (name, value) in parameters)
        {
            // The optional filters are text; a null one must still be typed for PostgreSQL.
            command.Bind(name, value, value is null ? System.Data.DbType.String : null);
        }

        command.Bind("@limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(Read(reader));
        }

        return result;
    }

    private static Digest Read(DbDataReader reader) => new(
        reader.GetInt64(0),
        ParseKind(reader.GetString(1)) ?? DigestKind.Hourly,
        reader.GetString(2),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        reader.GetString(5),
        reader.GetString(6),
        JsonSerializer.Deserialize(reader.GetString(7), DigestJsonContext.Default.IReadOnlyListDigestLine) ?? [],
        reader.GetInt32(8),
        reader.IsDBNull(9) ? null : reader.GetInt64(9),
        reader.IsDBNull(10) ? null : reader.GetInt64(10),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(11)),
        reader.IsDBNull(12) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(12)));
}
