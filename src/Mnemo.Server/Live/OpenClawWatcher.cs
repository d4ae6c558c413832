using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mnemo.Readers;
using Mnemo.Server.Hosting;

namespace Mnemo.Server.Live;

/// <summary>
/// Follows every agent under the OpenClaw state directory, both storage eras: reads what is new
/// whenever a file or database changes (inotify), when the bridge plugin reports activity, and at
/// the poll interval as a backstop. New agents and sessions are found on every pass. A new
/// compaction's retained context is prepared right away, before the agent's next turn.
/// </summary>
public sealed partial class OpenClawWatcher(MemoryEngine engine, OpenClawOptions options, IngestSignal signal, TimeProvider time, ILogger<OpenClawWatcher> logger)
    : BackgroundService
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(30);

    /// <summary>
    /// The sources the latest pass could not read as a whole (a database whose schema changed
    /// underneath, one that will not open), with why; health's openclaw check reports them.
    /// </summary>
    public IReadOnlyList<Domain.ReadIssue> Unreadable { get; private set; } = [];

    /// <summary>The last time from a compaction to its retained context being ready.</summary>
    public TimeSpan? LastCompactionLatency { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = options.ResolveStateDirectory();
        LogFollowing(logger, directory);
        FileSystemWatcher? watcher = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                watcher ??= TryWatch(directory);
                try
                {
                    await PassAsync(directory, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One bad pass (a database locked for too long, a disk hiccup) must not stop following.
                    LogPassFailed(logger, ex);
                }

                try
                {
                    await signal.WaitAsync(options.PollInterval, stoppingToken).ConfigureAwait(false);
                    await Task.Delay(Settle, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            watcher?.Dispose();
        }
    }

    private async Task PassAsync(string directory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        var summary = await engine.IngestAsync([directory], "auto", agent: null, progress: null, cancellationToken).ConfigureAwait(false);

        // Issues without a line are about a whole file; a bad row is skipped and is not one of these.
        var before = Unreadable;
        Unreadable = [.. summary.Issues.Where(i => i.Line is null)];
        foreach (var issue in Unreadable.Except(before))
        {
            LogUnreadable(logger, issue.Source, issue.Message); // once, not at every poll
        }

        if (summary.Added + summary.Updated > 0)
        {
            LogIngested(logger, summary.Added, summary.Updated, summary.Skipped);
        }

        foreach (var compaction in summary.NewCompactions)
        {
            await engine.Retention.PrepareAsync(compaction, cancellationToken).ConfigureAwait(false);
            var latency = time.GetUtcNow() - compaction.Event.Timestamp;
            LastCompactionLatency = latency;
            LogCompactionReady(logger, compaction.Event.Agent, compaction.Id, latency.TotalMilliseconds);
        }
    }

    /// <summary>Watches the agents' folders; null when the directory is missing or inotify watches run out (polling still works).</summary>
    private FileSystemWatcher? TryWatch(string directory)
    {
        var agents = SourceDiscovery.OpenClawAgentsDirectory(directory);
        if (agents is null || !Directory.Exists(agents))
        {
            return null;
        }

        try
        {
            var watcher = new FileSystemWatcher(agents)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName,
            };
            watcher.Changed += (_, _) => signal.Poke();
            watcher.Created += (_, _) => signal.Poke();
            watcher.Renamed += (_, _) => signal.Poke();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (IOException ex)
        {
            LogWatchFailed(logger, ex.Message);
            return null;
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Following OpenClaw state directory {Directory}")]
    private static partial void LogFollowing(ILogger logger, string directory);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Ingested {Added} new and {Updated} updated memories ({Skipped} skipped)")]
    private static partial void LogIngested(ILogger logger, long added, long updated, long skipped);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Retained context for compaction {CompactionId} of agent {Agent} ready {LatencyMs:F0} ms after the compaction")]
    private static partial void LogCompactionReady(ILogger logger, string agent, long compactionId, double latencyMs);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "A pass over the OpenClaw state directory failed; trying again at the next change or poll")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Cannot read {Source}: {Problem}")]
    private static partial void LogUnreadable(ILogger logger, string source, string problem);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Cannot watch for file changes ({Problem}); polling only")]
    private static partial void LogWatchFailed(ILogger logger, string problem);
}
