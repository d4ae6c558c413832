namespace Mnemo.Indexing;

/// <summary>USearch's HNSW graph as the approximate index of large stores.</summary>
public sealed class USearchIndexes : IApproximateIndexFactory
{
    public static USearchIndexes Instance { get; } = new();

    public string Kind => "hnsw";

    public IVectorIndex Create(HnswOptions options, int dimensions) => HnswVectorIndex.Create(options, dimensions);

    public IVectorIndex Load(string path, HnswOptions options, int dimensions) => HnswVectorIndex.Load(path, options, dimensions);
}
