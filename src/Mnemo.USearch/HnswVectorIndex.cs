namespace Mnemo.Indexing;

/// <summary>
/// Approximate search on an HNSW graph (USearch), inner-product metric over unit vectors, stored
/// as half floats by default. Used when the store is too large for the exact scan to stay fast.
/// </summary>
public sealed class HnswVectorIndex : IVectorIndex
{
    private readonly Lock _writeLock = new();
    private nint _handle;

    private HnswVectorIndex(nint handle, int dimensions, int expansionSearch)
    {
        _handle = handle;
        Dimensions = dimensions;
        USearchNative.ChangeExpansionSearch(_handle, (nuint)expansionSearch, out var error);
        USearchNative.Check(error, "change expansion");
        USearchNative.ChangeThreadsAdd(_handle, (nuint)Environment.ProcessorCount, out error);
        USearchNative.Check(error, "change threads");
        USearchNative.ChangeThreadsSearch(_handle, (nuint)Math.Max(Environment.ProcessorCount, 4), out error);
        USearchNative.Check(error, "change threads");
    }

    public string Kind => "hnsw";

    public int Dimensions { get; }

    public long Count
    {
        get
        {
            var size = USearchNative.Size(_handle, out var error);
            USearchNative.Check(error, "size");
            return (long)size;
        }
    }

    public static HnswVectorIndex Create(HnswOptions options, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(options);
        var init = new USearchNative.InitOptions
        {
            MetricKind = USearchNative.MetricKind.InnerProduct,
            Quantization = options.HalfPrecision ? USearchNative.ScalarKind.Float16 : USearchNative.ScalarKind.Float32,
            Dimensions = (nuint)dimensions,
            Connectivity = (nuint)options.Connectivity,
            ExpansionAdd = (nuint)options.ExpansionAdd,
            ExpansionSearch = (nuint)options.ExpansionSearch,
            Multi = 0,
        };
        var handle = USearchNative.Init(ref init, out var error);
        USearchNative.Check(error, "init");
        return new HnswVectorIndex(handle, dimensions, options.ExpansionSearch);
    }

    /// <summary>Loads a saved index; throws <see cref="InvalidDataException"/> when the file is damaged or does not match.</summary>
    public static HnswVectorIndex Load(string path, HnswOptions options, int dimensions)
    {
        var index = Create(options, dimensions);
        try
        {
            USearchNative.Load(index._handle, path, out var error);
            if (error != 0)
            {
                throw new InvalidDataException($"{path} is not a readable HNSW index: {System.Runtime.InteropServices.Marshal.PtrToStringUTF8(error)}");
            }

            var dims = (int)USearchNative.GetDimensions(index._handle, out error);
            USearchNative.Check(error, "dimensions");
            if (dims != dimensions)
            {
                throw new InvalidDataException($"{path} has {dims} dimensions; the model has {dimensions}");
            }

            // Loading resets the runtime settings; apply them again.
            USearchNative.ChangeExpansionSearch(index._handle, (nuint)options.ExpansionSearch, out error);
            USearchNative.Check(error, "change expansion");
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    public void Upsert(long id, ReadOnlySpan<float> vector)
    {
        CheckDimensions(vector);
        lock (_writeLock)
        {
            AddLocked(id, vector, replace: true);
        }
    }

    public void UpsertMany(IReadOnlyList<(long Id, float[] Vector)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        lock (_writeLock)
        {
            foreach (var (id, _) in items)
            {
                if (Contains(id))
                {
                    USearchNative.Remove(_handle, (ulong)id, out var error);
                    USearchNative.Check(error, "remove");
                }
            }

            EnsureCapacity(Count + items.Count);

            // USearch gives each concurrent add its own thread slot, so the graph builds on every core.
            Parallel.ForEach(items, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, item => AddUnchecked(item.Id, item.Vector));
        }
    }

    public bool Remove(long id)
    {
        lock (_writeLock)
        {
            var removed = USearchNative.Remove(_handle, (ulong)id, out var error);
            USearchNative.Check(error, "remove");
            return removed > 0;
        }
    }

    public bool Contains(long id)
    {
        var found = USearchNative.Contains(_handle, (ulong)id, out var error);
        USearchNative.Check(error, "contains");
        return found;
    }

    public unsafe IReadOnlyList<VectorMatch> Search(ReadOnlySpan<float> query, int k, Func<long, bool>? filter = null)
    {
        CheckDimensions(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);

        // With a filter, ask for more and drop what does not pass; the caller falls back to an
        // exact scan of the allowed ids when too few survive.
        var wanted = filter is null ? k : Math.Min(Math.Max(k * 8, 256), (int)Math.Max(1, Count));
        var keys = new ulong[wanted];
        var distances = new float[wanted];
        nuint found;
        fixed (float* q = query)
        fixed (ulong* kp = keys)
        fixed (float* dp = distances)
        {
            found = USearchNative.Search(_handle, q, USearchNative.ScalarKind.Float32, (nuint)wanted, kp, dp, out var error);
            USearchNative.Check(error, "search");
        }

        var result = new List<VectorMatch>(Math.Min(k, (int)found));
        for (var i = 0; i < (int)found && result.Count < k; i++)
        {
            var id = (long)keys[i];
            if (filter is null || filter(id))
            {
                result.Add(new VectorMatch(id, 1f - distances[i]));
            }
        }

        return result;
    }

    public void Save(string path)
    {
        lock (_writeLock)
        {
            USearchNative.Save(_handle, path, out var error);
            USearchNative.Check(error, "save");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    private unsafe void AddLocked(long id, ReadOnlySpan<float> vector, bool replace)
    {
        if (replace && Contains(id))
        {
            USearchNative.Remove(_handle, (ulong)id, out var error);
            USearchNative.Check(error, "remove");
        }

        EnsureCapacity(Count + 1);
        fixed (float* v = vector)
        {
            USearchNative.Add(_handle, (ulong)id, v, USearchNative.ScalarKind.Float32, out var error);
            USearchNative.Check(error, "add");
        }
    }

    private unsafe void AddUnchecked(long id, float[] vector)
    {
        CheckDimensions(vector);
        fixed (float* v = vector)
        {
            USearchNative.Add(_handle, (ulong)id, v, USearchNative.ScalarKind.Float32, out var error);
            USearchNative.Check(error, "add");
        }
    }

    private void EnsureCapacity(long needed)
    {
        var capacity = (long)USearchNative.Capacity(_handle, out var error);
        USearchNative.Check(error, "capacity");
        if (needed > capacity)
        {
            USearchNative.Reserve(_handle, (nuint)Math.Max(needed, Math.Max(1024, capacity * 2)), out error);
            USearchNative.Check(error, "reserve");
        }
    }

    private void CheckDimensions(ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimensions)
        {
            throw new ArgumentException($"vector has {vector.Length} dimensions; the index has {Dimensions}", nameof(vector));
        }
    }

    public void Dispose()
    {
        if (_handle != 0)
        {
            USearchNative.Free(_handle, out _);
            _handle = 0;
        }
    }
}
