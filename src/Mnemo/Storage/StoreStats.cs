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
    string? EmbeddingModel);
