using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Mnemo.Indexing;

/// <summary>
/// Brute-force search with SIMD dot products over one contiguous array: exact, and fast enough
/// below some tens of thousands of vectors. Large scans are split across cores.
/// </summary>
public sealed class ExactVectorIndex : IVectorIndex
{
    private const uint Magic = 0x58564E4D; // "MNVX"
    private const int FormatVersion = 1;
    private const int ParallelThreshold = 20_000;

    private readonly Dictionary<long, int> _positions = [];
    private readonly ReaderWriterLockSlim _lock = new();
    private long[] _ids = new long[1024];
    private float[] _data;

    public ExactVectorIndex(int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        Dimensions = dimensions;
        _data = new float[1024 * dimensions];
    }

    public string Kind => "exact";

    public int Dimensions { get; }

    public long Count => _positions.Count;

    public void Upsert(long id, ReadOnlySpan<float> vector)
    {
        CheckDimensions(vector);
        _lock.EnterWriteLock();
        try
        {
            if (!_positions.TryGetValue(id, out var position))
            {
                position = _positions.Count;
                EnsureCapacity(position + 1);
                _positions[id] = position;
                _ids[position] = id;
            }

            vector.CopyTo(_data.AsSpan(position * Dimensions, Dimensions));
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void UpsertMany(IReadOnlyList<(long Id, float[] Vector)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var (id, vector) in items)
        {
            Upsert(id, vector);
        }
    }

    public bool Remove(long id)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_positions.Remove(id, out var position))
            {
                return false;
            }

            var last = _positions.Count;
            if (position != last)
            {
                var movedId = _ids[last];
                _data.AsSpan(last * Dimensions, Dimensions).CopyTo(_data.AsSpan(position * Dimensions, Dimensions));
                _ids[position] = movedId;
                _positions[movedId] = position;
            }

            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public bool Contains(long id)
    {
        _lock.EnterReadLock();
        try
        {
            return _positions.ContainsKey(id);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public IReadOnlyList<VectorMatch> Search(ReadOnlySpan<float> query, int k, Func<long, bool>? filter = null)
    {
        CheckDimensions(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var q = query.ToArray();
        _lock.EnterReadLock();
        try
        {
            var count = _positions.Count;
            if (count < ParallelThreshold)
            {
                var top = new TopK(k);
                Scan(q, 0, count, top, filter);
                return top.ToSortedList();
            }

            var parts = Math.Min(Environment.ProcessorCount, 8);
            var partial = new TopK[parts];
            var size = (count + parts - 1) / parts;
            Parallel.For(0, parts, p =>
            {
                partial[p] = new TopK(k);
                Scan(q, p * size, Math.Min(count, (p + 1) * size), partial[p], filter);
            });
            for (var p = 1; p < parts; p++)
            {
                partial[0].Merge(partial[p]);
            }

            return partial[0].ToSortedList();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Copies the stored vector of <paramref name="id"/>; false when absent.</summary>
    public bool TryGetVector(long id, Span<float> destination)
    {
        _lock.EnterReadLock();
        try
        {
            if (!_positions.TryGetValue(id, out var position))
            {
                return false;
            }

            _data.AsSpan(position * Dimensions, Dimensions).CopyTo(destination);
            return true;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private void Scan(float[] query, int from, int to, TopK top, Func<long, bool>? filter)
    {
        var data = _data.AsSpan();
        for (var i = from; i < to; i++)
        {
            var id = _ids[i];
            if (filter is not null && !filter(id))
            {
                continue;
            }

            top.Offer(id, TensorPrimitives.Dot(query, data.Slice(i * Dimensions, Dimensions)));
        }
    }

    public void Save(string path)
    {
        _lock.EnterReadLock();
        try
        {
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            using var writer = new BinaryWriter(stream);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(Dimensions);
            writer.Write((long)_positions.Count);
            writer.Write(MemoryMarshal.AsBytes(_ids.AsSpan(0, _positions.Count)));
            writer.Write(MemoryMarshal.AsBytes(_data.AsSpan(0, _positions.Count * Dimensions)));
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Reads an index written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> on any damage.</summary>
    public static ExactVectorIndex Load(string path, int dimensions)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = new BinaryReader(stream);
        if (stream.Length < 20 || reader.ReadUInt32() != Magic || reader.ReadInt32() != FormatVersion)
        {
            throw new InvalidDataException($"{path} is not a Mnemo exact vector index");
        }

        var dims = reader.ReadInt32();
        var count = reader.ReadInt64();
        if (dims != dimensions || count < 0 || stream.Length != 20 + (count * sizeof(long)) + (count * dims * sizeof(float)))
        {
            throw new InvalidDataException($"{path} has {dims} dimensions and {count} vectors, which does not match its size or the model ({dimensions})");
        }

        var index = new ExactVectorIndex(dimensions);
        index.EnsureCapacity((int)count);
        stream.ReadExactly(MemoryMarshal.AsBytes(index._ids.AsSpan(0, (int)count)));
        stream.ReadExactly(MemoryMarshal.AsBytes(index._data.AsSpan(0, (int)count * dims)));
        for (var i = 0; i < count; i++)
        {
            if (!index._positions.TryAdd(index._ids[i], i))
            {
                throw new InvalidDataException($"{path} holds id {index._ids[i]} twice");
            }
        }

        return index;
    }

    private void EnsureCapacity(int count)
    {
        if (count <= _ids.Length)
        {
            return;
        }

        var capacity = Math.Max(count, _ids.Length * 2);
        Array.Resize(ref _ids, capacity);
        Array.Resize(ref _data, capacity * Dimensions);
    }

    private void CheckDimensions(ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimensions)
        {
            throw new ArgumentException($"vector has {vector.Length} dimensions; the index has {Dimensions}", nameof(vector));
        }
    }

    public void Dispose() => _lock.Dispose();
}
