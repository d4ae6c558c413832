using System.IO.Hashing;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mnemo.Storage;

namespace Mnemo.Indexing;

/// <summary>
/// Keeps the vector index beside the database as derived data. At start it loads the saved index
/// only if its manifest, size and checksum match, catches it up from the audit log, and checks its
/// count against the store; otherwise it rebuilds it from the store's vectors. Saves are atomic:
/// write a temporary file, flush it to disk, rename it over the old one, then the manifest the same way.
/// </summary>
public sealed partial class VectorIndexManager : IDisposable
{
    private const int ManifestVersion = 1;
    private static readonly string[] IndexKinds = ["exact", "hnsw"];
    private readonly string _directory;
    private readonly IMemoryChangeFeed _store;
    private readonly VectorIndexOptions _options;
    private readonly ILogger _logger;
    private readonly IApproximateIndexFactory? _approximate;

    private VectorIndexManager(string directory, IMemoryChangeFeed store, VectorIndexOptions options, int dimensions, ILogger logger, IVectorIndex index, IApproximateIndexFactory? approximate)
    {
        _directory = directory;
        _approximate = approximate;
        _store = store;
        _options = options;
        Dimensions = dimensions;
        _logger = logger;
        Index = index;
    }

    public IVectorIndex Index { get; private set; }

    public int Dimensions { get; }

    /// <summary>The audit event id the index reflects.</summary>
    public long Watermark { get; private set; }

    /// <summary>Why the index was rebuilt at open, or null when the saved one was used.</summary>
    public string? RebuildReason { get; private set; }

    private string ManifestPath => Path.Combine(_directory, "vectors.manifest.json");

    private static string IndexFileName(string kind) => $"vectors.{kind}";

    private bool WantsApproximate(long count) => _approximate is not null && count >= _options.HnswThreshold;

    /// <param name="approximate">The index to switch to past <see cref="VectorIndexOptions.HnswThreshold"/>; null keeps the exact one at every size.</param>
    public static async Task<VectorIndexManager> OpenAsync(string directory, IMemoryChangeFeed store, VectorIndexOptions options, int dimensions, TimeProvider time, ILogger logger, IApproximateIndexFactory? approximate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        Directory.CreateDirectory(directory);
        RemoveAbandonedTemporaryFiles(directory, time.GetUtcNow().UtcDateTime.AddHours(-1));
        var manager = new VectorIndexManager(directory, store, options, dimensions, logger, new ExactVectorIndex(dimensions), approximate);
        var reason = await manager.TryLoadAsync(cancellationToken).ConfigureAwait(false);
        if (reason is not null)
        {
            manager.RebuildReason = reason;
            LogRebuilding(logger, reason);
            await manager.RebuildAsync(cancellationToken).ConfigureAwait(false);
        }

        return manager;
    }

    /// <summary>
    /// Applies vectors the store has just committed in events (<paramref name="previous"/>,
    /// <paramref name="watermark"/>]. The watermark moves only when the index had reached
    /// <paramref name="previous"/>: events of another writer in between are left for
    /// <see cref="CatchUpAsync"/>, which re-applies these too (upserts and removals repeat safely).
    /// </summary>
    public void Apply(IReadOnlyList<(long Id, float[] Vector)> upserts, long previous, long watermark)
    {
        ArgumentNullException.ThrowIfNull(upserts);
        if (upserts.Count > 64)
        {
            Index.UpsertMany(upserts);
        }
        else
        {
            foreach (var (id, vector) in upserts)
            {
                Index.Upsert(id, vector);
            }
        }

        Advance(previous, watermark);
    }

    public void ApplyRemovals(IEnumerable<long> ids, long previous, long watermark)
    {
        ArgumentNullException.ThrowIfNull(ids);
        foreach (var id in ids)
        {
            Index.Remove(id);
        }

        Advance(previous, watermark);
    }

    private void Advance(long previous, long watermark)
    {
        if (Watermark >= previous)
        {
            Watermark = Math.Max(Watermark, watermark);
        }
    }

    /// <summary>
    /// Applies the store's changes after <see cref="Watermark"/> (what other writers committed):
    /// how a node's index follows a shared store. Returns how many events were applied.
    /// </summary>
    public async Task<int> CatchUpAsync(CancellationToken cancellationToken)
    {
        var changes = await _store.GetChangesSinceAsync(Watermark, cancellationToken).ConfigureAwait(false);
        if (changes.Count == 0)
        {
            return 0;
        }

        var upsertIds = changes.Where(c => c.Action != "forget").Select(c => c.MemoryId).ToHashSet();
        var vectors = await _store.GetVectorsAsync(upsertIds, cancellationToken).ConfigureAwait(false);
        foreach (var change in changes)
        {
            if (change.Action == "forget")
            {
                Index.Remove(change.MemoryId);
            }
            else if (vectors.TryGetValue(change.MemoryId, out var vector))
            {
                Index.Upsert(change.MemoryId, vector);
            }
        }

        Watermark = Math.Max(Watermark, changes[^1].EventId);
        return changes.Count;
    }

    /// <summary>Throws away the index and builds it again from the store.</summary>
    public async Task RebuildAsync(CancellationToken cancellationToken)
    {
        var (watermark, count) = await _store.GetWatermarkAsync(cancellationToken).ConfigureAwait(false);
        IVectorIndex index = WantsApproximate(count) ? _approximate!.Create(_options.Hnsw, Dimensions) : new ExactVectorIndex(Dimensions);
        var batch = new List<(long, float[])>(8192);
        await foreach (var item in _store.ReadVectorsAsync(cancellationToken).ConfigureAwait(false))
        {
            batch.Add(item);
            if (batch.Count == batch.Capacity)
            {
                index.UpsertMany(batch);
                batch.Clear();
            }
        }

        index.UpsertMany(batch);
        Index.Dispose();
        Index = index;
        Watermark = watermark;
        await SaveAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Saves the index and its manifest atomically. The caller keeps writes out meanwhile (the
    /// engine's <see cref="Ingest.MemoryWriter"/> saves under its write gate): the manifest must
    /// describe the snapshot it sits beside.
    /// </summary>
    internal async Task SaveAsync(CancellationToken cancellationToken)
    {
        // What the snapshot holds, read before it is taken: a change applied meanwhile would be
        // in the file but caught up again at load, never marked as saved without being in it.
        var watermark = Watermark;
        var count = Index.Count;
        var fileName = IndexFileName(Index.Kind);
        var finalPath = Path.Combine(_directory, fileName);
        // A temporary name of this process's own: a second process on the same data directory
        // (a search beside serve) may be saving at the same moment.
        var suffix = FormattableString.Invariant($".{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var temporary = finalPath + suffix;
        Index.Save(temporary);
        var (bytes, checksum) = await ChecksumAsync(temporary, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, finalPath, overwrite: true);
        var manifest = new IndexManifest(ManifestVersion, Index.Kind, Dimensions, count, watermark, bytes, checksum);
        var manifestTemporary = ManifestPath + suffix;
        await using (var stream = new FileStream(manifestTemporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, IndexJsonContext.Default.IndexManifest, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(manifestTemporary, ManifestPath, overwrite: true);
        foreach (var other in IndexKinds.Where(k => k != Index.Kind))
        {
            File.Delete(Path.Combine(_directory, IndexFileName(other)));
        }
    }

    /// <summary>Loads and catches up the saved index; returns why it cannot be used, or null.</summary>
    private async Task<string?> TryLoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(ManifestPath))
        {
            return "no saved index";
        }

        IndexManifest? manifest;
        try
        {
            await using var stream = File.OpenRead(ManifestPath);
            manifest = await JsonSerializer.DeserializeAsync(stream, IndexJsonContext.Default.IndexManifest, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return "index manifest is corrupt";
        }

        if (manifest is null || manifest.FormatVersion != ManifestVersion || manifest.Dimensions != Dimensions || manifest.Kind is not ("exact" or "hnsw"))
        {
            return "index manifest does not match this version or model";
        }

        var path = Path.Combine(_directory, IndexFileName(manifest.Kind));
        if (!File.Exists(path))
        {
            return "index file is missing";
        }

        var (bytes, checksum) = await ChecksumAsync(path, cancellationToken).ConfigureAwait(false);
        if (bytes != manifest.Bytes || checksum != manifest.Checksum)
        {
            return "index file is corrupt (checksum mismatch)";
        }

        var (storeWatermark, storeCount) = await _store.GetWatermarkAsync(cancellationToken).ConfigureAwait(false);
        if (manifest.Watermark > storeWatermark)
        {
            return "index is newer than the store (the database was restored or replaced)";
        }

        IVectorIndex loaded;
        try
        {
            if (manifest.Kind != "exact" && _approximate?.Kind != manifest.Kind)
            {
                return $"the saved index is a {manifest.Kind} graph, and this host runs no {manifest.Kind} index";
            }

            loaded = manifest.Kind == "exact" ? ExactVectorIndex.Load(path, Dimensions) : _approximate!.Load(path, _options.Hnsw, Dimensions);
        }
        catch (InvalidDataException ex)
        {
            return $"index file is unreadable ({ex.Message})";
        }

        Index.Dispose();
        Index = loaded;
        Watermark = manifest.Watermark;
        var caughtUp = await CatchUpAsync(cancellationToken).ConfigureAwait(false);

        if (Index.Count != storeCount)
        {
            return $"index holds {Index.Count} vectors but the store has {storeCount} memories";
        }

        var wanted = WantsApproximate(storeCount) ? _approximate!.Kind : "exact";
        if (wanted != Index.Kind)
        {
            return $"store size {storeCount} calls for a {wanted} index";
        }

        if (caughtUp > 0)
        {
            LogCaughtUp(_logger, caughtUp);
            await SaveAsync(cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>Temporary files left by a process that died while saving (an hour is far longer than any save).</summary>
    private static void RemoveAbandonedTemporaryFiles(string directory, DateTime olderThan)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "vectors.*.tmp"))
        {
            if (File.GetLastWriteTimeUtc(file) < olderThan)
            {
                try
                {
                    File.Delete(file);
                }
                catch (IOException)
                {
                    // In use after all: leave it.
                }
            }
        }
    }

    private static async Task<(long Bytes, string Checksum)> ChecksumAsync(string path, CancellationToken cancellationToken)
    {
        var hash = new XxHash64();
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous);
        await hash.AppendAsync(stream, cancellationToken).ConfigureAwait(false);
        return (stream.Length, Convert.ToHexString(hash.GetCurrentHash()));
    }

    public void Dispose() => Index.Dispose();

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Rebuilding the vector index from the store: {Reason}")]
    private static partial void LogRebuilding(ILogger logger, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Vector index caught up with {Changes} changes from the audit log")]
    private static partial void LogCaughtUp(ILogger logger, int changes);
}
