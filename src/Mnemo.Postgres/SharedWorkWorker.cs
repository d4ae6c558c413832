using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Mnemo.Domain;

namespace Mnemo.Postgres;

/// <summary>Turns to embed and store, as queued by <c>POST /v1/ingest?queued=true</c> on any node.</summary>
public sealed record IngestWork(string Source, IReadOnlyList<Turn> Turns);

[JsonSerializable(typeof(IngestWork))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class SharedWorkJsonContext : JsonSerializerContext;

/// <summary>
/// This node's share of the queued work: claims an item, keeps its lease alive while working,
/// completes it, and goes on until the queue is empty, then looks again every
/// <see cref="Idle"/>. An item whose lease this node loses (it stalled past the lease and another
/// node took over) is abandoned, not completed twice.
/// </summary>
public sealed partial class SharedWorkWorker(SharedWork work, MemoryEngine engine, ILogger<SharedWorkWorker> logger)
{
    public const string IngestKind = "ingest";

    /// <summary>How long a claim lasts without renewal: how soon a dead node's item is taken over.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Items this node completed since start.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    private long _completed;

    public static string IngestPayload(IngestWork ingest) => JsonSerializer.Serialize(ingest, SharedWorkJsonContext.Default.IngestWork);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var item = await work.ClaimAsync(Lease, cancellationToken).ConfigureAwait(false);
                if (item is null)
                {
                    await Task.Delay(Idle, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await DoAsync(item, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The database went away: wait and look again; the lease protects the item.
            catch (Exception ex) when (PostgresMemoryStore.IsUnavailable(ex))
#pragma warning restore CA1031
            {
                LogUnavailable(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DoAsync(WorkItem item, CancellationToken cancellationToken)
    {
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = RenewAsync(item, lost, renewing.Token);
        try
        {
            await HandleAsync(item, lost.Token).ConfigureAwait(false);
            await renewing.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
            if (await work.CompleteAsync(item.Id, cancellationToken).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _completed);
                LogDone(logger, item.Id, item.Kind);
            }
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogLostLease(logger, item.Id);
        }
#pragma warning disable CA1031 // A failing item is put back (or failed after its attempts); the worker goes on.
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !PostgresMemoryStore.IsUnavailable(ex))
#pragma warning restore CA1031
        {
            LogFailed(logger, item.Id, item.Kind, ex.GetType().Name);
            await work.FailAsync(item.Id, $"{ex.GetType().Name}: {ex.Message}", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await renewing.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
        }
    }

    private async Task RenewAsync(WorkItem item, CancellationTokenSource lost, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Lease / 3, cancellationToken).ConfigureAwait(false);
                if (!await work.RenewAsync(item.Id, Lease, cancellationToken).ConfigureAwait(false))
                {
                    await lost.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Done, or stopping.
        }
#pragma warning disable CA1031 // A renewal that cannot reach the database is tried again at the next tick.
        catch (Exception ex) when (PostgresMemoryStore.IsUnavailable(ex))
#pragma warning restore CA1031
        {
            LogUnavailable(logger, ex.Message);
        }
    }

    private async Task HandleAsync(WorkItem item, CancellationToken cancellationToken)
    {
        switch (item.Kind)
        {
            case IngestKind:
                var ingest = JsonSerializer.Deserialize(item.Payload, SharedWorkJsonContext.Default.IngestWork)
                    ?? throw new InvalidDataException($"work item {item.Id}: the payload is empty");
                await engine.IngestTurnsAsync(ingest.Source, "api", ingest.Turns, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new InvalidDataException($"work item {item.Id}: this node does not know the kind '{item.Kind}'");
        }
    }

    [LoggerMessage(EventId = 9101, Level = LogLevel.Debug, Message = "work item {Id} ({Kind}) done")]
    private static partial void LogDone(ILogger logger, long id, string kind);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Warning, Message = "work item {Id} ({Kind}) failed ({Error}); it goes back to the queue")]
    private static partial void LogFailed(ILogger logger, long id, string kind, string error);

    [LoggerMessage(EventId = 9103, Level = LogLevel.Warning, Message = "lost the lease of work item {Id} to another node; leaving it to that node")]
    private static partial void LogLostLease(ILogger logger, long id);

    [LoggerMessage(EventId = 9104, Level = LogLevel.Warning, Message = "the shared store is unreachable ({Problem}); looking for work again shortly")]
    private static partial void LogUnavailable(ILogger logger, string problem);
}
