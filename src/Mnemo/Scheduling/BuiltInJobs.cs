using System.Globalization;
using Mnemo.Delivery;
using Mnemo.Digests;
using Mnemo.Signals;

namespace Mnemo.Scheduling;

/// <summary>The hourly summary: every full hour not summarized yet, per active agent.</summary>
public sealed class HourlySummaryJob(DigestService digests, DeliveryService delivery) : IScheduledJob
{
    public string Name => JobNames.HourlySummary;

    public string Description => "hourly summary per active agent";

    public async Task<string> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var written = await digests.WriteHourlyAsync(context.Started, cancellationToken).ConfigureAwait(false);
        var sent = await delivery.DeliverPendingAsync(cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture, $"{written.Count} hourly digests written, {sent} items delivered");
    }
}

/// <summary>The daily sync, for the day of the occurrence, in the schedule's time zone.</summary>
public sealed class DailySyncJob(DigestService digests, DeliveryService delivery, TimeZoneInfo zone) : IScheduledJob
{
    public string Name => JobNames.DailySync;

    public string Description => "daily sync per agent, appended to the OpenClaw workspace";

    public async Task<string> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(context.Occurrence ?? context.Started, zone).DateTime);
        var written = await digests.WriteDailyAsync(day, cancellationToken).ConfigureAwait(false);
        var sent = await delivery.DeliverPendingAsync(cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture, $"{written.Count} daily syncs for {day:yyyy-MM-dd}, {sent} items delivered");
    }
}

/// <summary>The weekly synthesis across agents, for the seven days ending on the occurrence's day.</summary>
public sealed class WeeklySynthesisJob(DigestService digests, DeliveryService delivery, TimeZoneInfo zone) : IScheduledJob
{
    public string Name => JobNames.WeeklySynthesis;

    public string Description => "weekly synthesis across agents";

    public async Task<string> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(context.Occurrence ?? context.Started, zone).DateTime);
        var digest = await digests.WriteWeeklyAsync(day, cancellationToken).ConfigureAwait(false);
        var sent = await delivery.DeliverPendingAsync(cancellationToken).ConfigureAwait(false);
        return digest is null ? "no activity this week" : string.Create(CultureInfo.InvariantCulture, $"weekly synthesis d{digest.Id}, {sent} items delivered");
    }
}

/// <summary>Cross-agent signal detection.</summary>
public sealed class SignalsJob(SignalService signals, DeliveryService delivery) : IScheduledJob
{
    public string Name => JobNames.Signals;

    public string Description => "cross-agent signals";

    public async Task<string> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var added = await signals.DetectAsync(context.Started, cancellationToken).ConfigureAwait(false);
        var sent = await delivery.DeliverPendingAsync(cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture, $"{added.Count} new signals, {sent} items delivered");
    }
}

/// <summary>
/// Reads the OpenClaw state directory once more and prepares the retained context of any
/// compaction the live path missed (Mnemo was down, an event was lost).
/// </summary>
public sealed class CompactionSweepJob(MemoryEngine engine, string? stateDirectory, DeliveryService delivery) : IScheduledJob
{
    public string Name => JobNames.CompactionSweep;

    public string Description => "re-reads OpenClaw's transcripts for missed turns and compactions; sends pending context notices";

    public async Task<string> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var swept = $"no OpenClaw state directory at {stateDirectory ?? "(none configured)"}";
        if (stateDirectory is not null && Directory.Exists(stateDirectory))
        {
            var summary = await engine.IngestAsync([stateDirectory], "auto", agent: null, progress: null, cancellationToken).ConfigureAwait(false);
            foreach (var compaction in summary.NewCompactions)
            {
                await engine.Retention.PrepareAsync(compaction, cancellationToken).ConfigureAwait(false);
            }

            swept = string.Create(CultureInfo.InvariantCulture, $"{summary.Added} new memories, {summary.NewCompactions.Count} new compactions");
        }

        // What was brought back after the latest compactions goes to the user every half hour.
        var sent = await delivery.DeliverPendingAsync(cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture, $"{swept}, {sent} items delivered");
    }
}

/// <summary>
/// Deletes what is kept only for a while: ratings older than <c>Feedback:KeepDays</c>, and, when
/// <c>Keep</c> says so, old conversation turns and digests (forgotten the way <c>mnemo forget</c>
/// does it: rows, full-text entries, vectors, audit record). Voice audio is the voice sweep's.
/// </summary>
public sealed class RetentionJob(MemoryEngine engine, DigestStore digests) : IScheduledJob
{
    private const int Batch = 1000;

    public string Name => JobNames.Retention;

    public string Description => "deletes ratings, and old turns and digests when Keep asks, after their keep period";

    public async Task<string> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = engine.Options;
        var ratings = await engine.Feedback.DeleteBeforeAsync(context.Started - TimeSpan.FromDays(options.Feedback.KeepDays), cancellationToken).ConfigureAwait(false);
        var turns = 0;
        if (options.Keep.TurnsDays is { } turnDays)
        {
            var before = context.Started - TimeSpan.FromDays(turnDays);
            while (true)
            {
                var old = await engine.Store.FindOlderTurnsAsync(before, Batch, cancellationToken).ConfigureAwait(false);
                if (old.Count == 0)
                {
                    break;
                }

                turns += (await engine.ForgetAsync(old, "retention", scrubDerived: false, cancellationToken).ConfigureAwait(false)).Count;
                if (old.Count < Batch)
                {
                    break;
                }
            }
        }

        var deletedDigests = 0;
        if (options.Keep.DigestsDays is { } digestDays)
        {
            var memories = await digests.DeleteBeforeAsync(context.Started - TimeSpan.FromDays(digestDays), cancellationToken).ConfigureAwait(false);
            deletedDigests = memories.Count;
            var copies = memories.Where(m => m is not null).Select(m => m!.Value).ToList();
            if (copies.Count > 0)
            {
                await engine.ForgetAsync(copies, "retention", scrubDerived: false, cancellationToken).ConfigureAwait(false);
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{ratings} ratings older than {options.Feedback.KeepDays} days deleted; {turns} turns and {deletedDigests} digests past their keep period forgotten");
    }
}

/// <summary>
/// The nightly backup: a snapshot of the live store (weekly once a week, daily otherwise),
/// verified straight away by unpacking it; old ones pruned. A backup that fails to write or to
/// verify fails the run, so it is retried and shows in the schedule and in health.
/// </summary>
public sealed class BackupJob(Backups.BackupService backups) : IScheduledJob
{
    public string Name => JobNames.Backup;

    public string Description => "backs up the store and config, verifies the backup, prunes old ones";

    public async Task<string> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var kind = await backups.NextScheduledKindAsync(cancellationToken).ConfigureAwait(false);
        var backup = await backups.CreateAsync(kind, cancellationToken).ConfigureAwait(false);
        var report = await backups.VerifyAsync(backup.Path, cancellationToken).ConfigureAwait(false);
        if (!report.Ok)
        {
            throw new Backups.BackupException($"{backup.Path} was written but failed verification: {string.Join("; ", report.Problems)}");
        }

        var pruned = await backups.PruneAsync(cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture, $"{kind} backup {Path.GetFileName(backup.Path)} ({backup.Bytes / 1024.0 / 1024.0:F1} MB, {backup.Manifest.Counts.Memories} memories) verified; {pruned.Count} old backups pruned");
    }
}
