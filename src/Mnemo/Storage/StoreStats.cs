namespace Mnemo.Storage;

/// <summary>Counts for <c>mnemo stats</c>.</summary>
public sealed record StoreStats(
    long Memories,
    long Sessions,
    long Agents,
    long Sources,
    long Embeddings,
    long AuditEvents,
    DateTimeOffset? Oldest,
    DateTimeOffset? Newest,
    long DatabaseBytes,
    string? EmbeddingModel)
{
    /// <summary>The stats from the one row both stores' stats query returns, its columns in this record's order.</summary>
    internal static StoreStats Read(System.Data.Common.DbDataReader reader) => new(
        reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
        reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        reader.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)),
        reader.GetInt64(8),
        reader.IsDBNull(9) ? null : reader.GetString(9));
}
