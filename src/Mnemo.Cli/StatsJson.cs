namespace Mnemo.Cli;

/// <summary>What <c>mnemo stats --json</c> prints.</summary>
internal sealed record StatsJson(long Memories, long Sessions, long Agents, long Sources, long Embeddings, long AuditEvents, DateTimeOffset? Oldest, DateTimeOffset? Newest, long DatabaseBytes, string? EmbeddingModel, string IndexKind, long IndexVectors, string DataDirectory);
