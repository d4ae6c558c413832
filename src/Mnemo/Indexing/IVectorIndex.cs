namespace Mnemo.Indexing;

/// <summary>
/// Nearest-neighbour search over unit vectors keyed by memory id. Derived data: the store is the
/// source of truth and an index can always be rebuilt from it. Not thread-safe for writes; searches
/// may run concurrently with each other.
/// </summary>
public interface IVectorIndex : IDisposable
{
    /// <summary>"exact" or "hnsw".</summary>
    string Kind { get; }

    int Dimensions { get; }

    long Count { get; }

    /// <summary>Adds or replaces the vector of <paramref name="id"/>.</summary>
    void Upsert(long id, ReadOnlySpan<float> vector);

    /// <summary>Adds many vectors, in parallel where the index allows it.</summary>
    void UpsertMany(IReadOnlyList<(long Id, float[] Vector)> items);

    bool Remove(long id);

    bool Contains(long id);

    /// <summary>The <paramref name="k"/> most similar vectors, best first; similarity is the dot product.</summary>
    IReadOnlyList<VectorMatch> Search(ReadOnlySpan<float> query, int k, Func<long, bool>? filter = null);

    /// <summary>Writes the whole index to <paramref name="path"/> (the caller makes the write atomic).</summary>
    void Save(string path);
}
