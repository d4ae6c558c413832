using Microsoft.Extensions.Logging;
using Mnemo.Domain;
using Mnemo.Indexing;
using Mnemo.Readers;
using Mnemo.Storage;

namespace Mnemo.Ingest;

/// <summary>
/// The one writer of memories. Ingest, forget and catching up with other nodes go through it, one
/// at a time; each write applies its change to the vector index, tells the caches that hold
/// memories (<see cref="Changed"/>), and schedules the index save. Callers never finish its job.
/// </summary>
/// <remarks>
/// Saving the index writes the whole file, so saves are batched: the first write after a save arms
/// a timer, and one save under the write gate covers every write until it fires; closing saves what
/// is left. Between saves the store's audit log is the truth: an index opened after a crash catches
/// up from it (<see cref="VectorIndexManager"/>), so a lost save costs time at the next start, never data.
/// </remarks>
public sealed partial class MemoryWriter : IAsyncDisposable
{
    /// <summary>How long after the first unsaved write the index is saved.</summary>
    public static readonly TimeSpan SaveDelay = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _timerLock = new();
    private readonly IMemoryWriteStore _store;
    private readonly IngestPipeline _pipeline;
    private readonly VectorIndexManager _index;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private ITimer? _saveTimer;
    private bool _unsaved;
    private bool _disposed;

    internal MemoryWriter(IMemoryWriteStore store, IngestPipeline pipeline, VectorIndexManager index, TimeProvider time, ILogger logger)
    {
        _store = store;
        _pipeline = pipeline;
        _index = index;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Raised inside the write gate when memories were removed or changed by another node: caches
    /// of memory text (retained context's lost parts) drop what they hold.
    /// </summary>
    public event Action? Changed;

    /// <summary>Ingests what a reader yields for one source, from where its cursor stopped (<paramref name="read"/> gets the cursor).</summary>
    public Task<IngestSummary> IngestAsync(string sourceKey, string format, Func<string?, IAsyncEnumerable<ReadItem>> read, IProgress<IngestProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        return WriteAsync(
            async () =>
            {
                var cursor = await _store.GetCursorAsync(sourceKey, cancellationToken).ConfigureAwait(false);
                return await _pipeline.IngestAsync(sourceKey, format, read(cursor), progress, cancellationToken).ConfigureAwait(false);
            },
            Wrote,
            cancellationToken);
    }

    /// <summary>Ingests turns that are already in memory (the HTTP API, digests, voice notes, datasets).</summary>
    public Task<IngestSummary> IngestAsync(string sourceKey, string format, IEnumerable<Turn> turns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turns);
        return WriteAsync(() => _pipeline.IngestAsync(sourceKey, format, AsItems(turns), progress: null, cancellationToken), Wrote, cancellationToken);
    }

    /// <summary>Stores one turn (new, changed or already there) and returns the id of its memory (its first chunk).</summary>
    public async Task<long> StoreAsync(string sourceKey, string format, Turn turn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        var (_, id) = await WriteAsync(
            async () =>
            {
                var summary = await _pipeline.IngestAsync(sourceKey, format, AsItems([turn]), progress: null, cancellationToken).ConfigureAwait(false);
                var id = await _store.FindIdAsync(turn.Agent, turn.Session, turn.EntryId, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"the turn {turn.EntryId} of {turn.Agent}/{turn.Session} was written but cannot be found");
                return (summary, id);
            },
            result => Wrote(result.summary),
            cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>Deletes memories for good (text, full-text entry, vector) and records who did it; returns the ids that existed.</summary>
    public Task<IReadOnlyList<long>> ForgetAsync(IReadOnlyCollection<long> ids, string actor, CancellationToken cancellationToken) =>
        WriteAsync(
            async () =>
            {
                var (forgotten, previous, watermark) = await _store.ForgetAsync(ids, actor, cancellationToken).ConfigureAwait(false);
                _index.ApplyRemovals(forgotten, previous, watermark);
                Changed?.Invoke();
                return forgotten;
            },
            forgotten => forgotten.Count > 0,
            cancellationToken);

    /// <summary>Applies what other nodes wrote to a shared store since the index's watermark; returns how many changes.</summary>
    public Task<int> CatchUpAsync(CancellationToken cancellationToken) =>
        WriteAsync(
            async () =>
            {
                var applied = await _index.CatchUpAsync(cancellationToken).ConfigureAwait(false);
                if (applied > 0)
                {
                    Changed?.Invoke();
                }

                return applied;
            },
            applied => applied > 0,
            cancellationToken);

    /// <summary>Saves the index now if a write since the last save changed it (a backup or a clean stop wants it on disk).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SaveIfUnsavedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the timer and saves what is unsaved; a save that fails is logged (the next start catches up).</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_timerLock)
        {
            _disposed = true;
            _saveTimer?.Dispose();
            _saveTimer = null;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await SaveIfUnsavedAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SaveFailed(_logger, ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static bool Wrote(IngestSummary summary) => summary.Added + summary.Updated > 0;

    /// <summary>
    /// Runs a write under the gate. Only a write that changed the index schedules a save (a live
    /// pass that found nothing new must not rewrite the whole index file); one that failed part-way
    /// may have applied some batches, so it schedules one too.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<Task<T>> write, Func<T, bool> changedIndex, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await write().ConfigureAwait(false);
            if (changedIndex(result))
            {
                MarkUnsaved();
            }

            return result;
        }
        catch
        {
            MarkUnsaved();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Called inside the gate after a write: the first unsaved write arms the save timer.</summary>
    private void MarkUnsaved()
    {
        _unsaved = true;
        lock (_timerLock)
        {
            if (!_disposed && _saveTimer is null)
            {
                _saveTimer = _time.CreateTimer(_ => _ = SaveLaterAsync(), null, SaveDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private async Task SaveLaterAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_timerLock)
            {
                _saveTimer?.Dispose();
                _saveTimer = null;
            }

            await SaveIfUnsavedAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A save on the timer has no caller to throw to: whatever fails (a full disk, a read-only directory) is logged, and the next write arms the timer again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.SaveFailed(_logger, ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task SaveIfUnsavedAsync(CancellationToken cancellationToken)
    {
        if (!_unsaved)
        {
            return;
        }

        await _index.SaveAsync(cancellationToken).ConfigureAwait(false);
        _unsaved = false;
    }

    private static async IAsyncEnumerable<ReadItem> AsItems(IEnumerable<Turn> turns)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var turn in turns)
        {
            yield return new TurnRead(turn);
        }

        yield return new CheckpointRead("complete");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Saving the vector index failed; it is saved again after the next write, and a restart catches it up from the store")]
        public static partial void SaveFailed(ILogger logger, Exception exception);
    }
}
