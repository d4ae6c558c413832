namespace Mnemo.Indexing;

/// <summary>How the vector index is chosen and tuned.</summary>
public sealed record VectorIndexOptions
{
    /// <summary>At or above this many memories the index is HNSW; below it, exact search.</summary>
    public long HnswThreshold { get; init; } = 50_000;

    public HnswOptions Hnsw { get; init; } = new();
}
