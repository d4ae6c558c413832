namespace Mnemo.Indexing;

/// <summary>
/// Makes and reads the approximate index a store switches to at <see cref="VectorIndexOptions.HnswThreshold"/>
/// memories (Mnemo.USearch's HNSW graph, native code). Without one the exact index serves a store
/// of any size, more slowly past a few hundred thousand vectors.
/// </summary>
public interface IApproximateIndexFactory
{
    /// <summary>The <see cref="IVectorIndex.Kind"/> of the indexes it makes, as the manifest records it.</summary>
    string Kind { get; }

    IVectorIndex Create(HnswOptions options, int dimensions);

    /// <summary>Reads an index <see cref="IVectorIndex.Save"/> wrote; an unreadable file throws <see cref="InvalidDataException"/>.</summary>
    IVectorIndex Load(string path, HnswOptions options, int dimensions);
}
