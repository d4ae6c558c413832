using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mnemo.Backups;
using Mnemo.Delivery;
using Mnemo.Scheduling;

namespace Mnemo.Health;

/// <summary>Thresholds of the health checks (config section <c>Health</c>).</summary>
public sealed record HealthOptions
{
    /// <summary>Below this much free space on the data directory's disk, Mnemo is degraded; below a tenth of it, unhealthy.</summary>
    public long MinFreeDiskMegabytes { get; set; } = 1024;

    /// <summary>The latest backup must be younger than this (when the backup job is on).</summary>
    public int BackupMaxAgeHours { get; set; } = 26;

    /// <summary>A job is overdue when it was due this long ago and has not run.</summary>
    public int JobGraceMinutes { get; set; } = 15;

    /// <summary>How often the store's full <c>PRAGMA quick_check</c> runs; between, only a query.</summary>
    public int QuickCheckEveryMinutes { get; set; } = 10;
}

/// <summary>The store opens and passes SQLite's quick check (run at most every few minutes: it reads every page).</summary>
public sealed class StoreHealthCheck(MemoryEngine engine, HealthOptions options, TimeProvider time) : IHealthCheck
{
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;
    private string? _lastProblem;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var stats = await engine.GetStatsAsync(cancellationToken).ConfigureAwait(false);
            if (time.GetUtcNow() - _checkedAt > TimeSpan.FromMinutes(options.QuickCheckEveryMinutes))
            {
                _lastProblem = await engine.Store.QuickCheckAsync(cancellationToken).ConfigureAwait(false);
                _checkedAt = time.GetUtcNow();
            }

            if (_lastProblem is not null)
            {
                return HealthCheckResult.Unhealthy($"SQLite's quick check failed: {_lastProblem}");
            }

            // Reads (search, context) still work while writes fail for want of space: degraded, not down.
            return engine.StoreWriteFailures.Snapshot is { At: { } at, Count: var count, Reason: var reason }
                ? HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"{stats.Memories} memories, but writing failed {count} time(s) since the last write that worked, last at {at:HH:mm:ss} UTC: {reason}"))
                : HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{stats.Memories} memories; quick check passed"));
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            return HealthCheckResult.Unhealthy($"the store cannot be read: {ex.Message}");
        }
    }
}

/// <summary>The vector index holds what the store holds, up to the same change.</summary>
public sealed class IndexHealthCheck(MemoryEngine engine) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (watermark, count) = await engine.Store.GetWatermarkAsync(cancellationToken).ConfigureAwait(false);
        var index = engine.Index;
        if (index.Index.Count == count && index.Watermark >= watermark)
        {
            return HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{count} vectors, current{(index.RebuildReason is { } reason ? $" (rebuilt at start: {reason})" : string.Empty)}"));
        }

        return HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"the index holds {index.Index.Count} vectors up to change {index.Watermark}; the store has {count} memories up to change {watermark}"));
    }
}

/// <summary>The embedding model loads and embeds.</summary>
public sealed class EmbedderHealthCheck(MemoryEngine engine) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var dimensions = await engine.ProbeEmbedderAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{engine.ModelId}, {dimensions} dimensions"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"the embedding model {engine.ModelId} failed: {ex.Message}");
        }
    }
}

/// <summary>Every scheduled job ran when it was due, and its last run did not fail.</summary>
public sealed class JobsHealthCheck(JobScheduler scheduler, HealthOptions options, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var problems = new List<string>();
        foreach (var job in (await scheduler.ListAsync(cancellationToken).ConfigureAwait(false)).Where(j => j.Enabled))
        {
            var state = job.State;
            if (state.Failures > 0)
            {
                problems.Add($"{job.Name} failed {state.Failures} time(s) in a row: {state.LastDetail}");
            }
            else if (state.NextRun is { } due && due < now - TimeSpan.FromMinutes(options.JobGraceMinutes) && !(state.LastStarted >= due))
            {
                problems.Add($"{job.Name} was due at {TimeZoneInfo.ConvertTime(due, scheduler.TimeZone):yyyy-MM-dd HH:mm} and has not run (is mnemo serve running?)");
            }
        }

        return problems.Count == 0 ? HealthCheckResult.Healthy("every job ran when due") : HealthCheckResult.Degraded(string.Join("; ", problems));
    }
}

/// <summary>The latest backup is fresh and passed verification (when the backup job is on).</summary>
/// <param name="sharedJobs">With a store shared by several nodes: the job history they share, since the backup job runs on one node and leaves its file in that node's backup folder.</param>
public sealed class BackupHealthCheck(BackupService backups, ScheduleOptions schedule, HealthOptions options, TimeProvider time, JobStore? sharedJobs = null) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var all = await backups.ListAsync(cancellationToken).ConfigureAwait(false);
        var latest = all.Count > 0 ? all[0] : null;
        var scheduled = !schedule.Jobs.TryGetValue(JobNames.Backup, out var job) || job.Enabled != false;
        if (sharedJobs is not null
            && await sharedJobs.GetAsync(JobNames.Backup, cancellationToken).ConfigureAwait(false) is { LastOutcome: "succeeded", LastFinished: { } finished } state
            && (latest is null || finished > latest.Manifest.CreatedAt + TimeSpan.FromMinutes(1)))
        {
            // The job writes and verifies the backup, or fails: its success elsewhere is a verified backup.
            var since = time.GetUtcNow() - finished;
            return scheduled && since > TimeSpan.FromHours(options.BackupMaxAgeHours)
                ? HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"the latest backup (made by another node) is {since.TotalHours:F0} hours old"))
                : HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"made and verified {since.TotalHours:F1} hours ago by the node that ran the backup job: {state.LastDetail}"));
        }
        if (latest is null)
        {
            return scheduled ? HealthCheckResult.Degraded($"no backup in {backups.Directory} yet") : HealthCheckResult.Healthy("the backup job is off; no backups");
        }

        var age = time.GetUtcNow() - latest.Manifest.CreatedAt;
        var name = Path.GetFileName(latest.Path);
        if (scheduled && age > TimeSpan.FromHours(options.BackupMaxAgeHours))
        {
            return HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"the latest backup, {name}, is {age.TotalHours:F0} hours old"));
        }

        return latest.VerifiedAt is null
            ? HealthCheckResult.Degraded($"the latest backup, {name}, has not been verified (mnemo backup verify)")
            : HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{name}, {age.TotalHours:F1} hours old, verified"));
    }
}

/// <summary>Enough free space on the data directory's disk.</summary>
public sealed class DiskHealthCheck(string dataDirectory, HealthOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var free = new DriveInfo(Path.GetFullPath(dataDirectory)).AvailableFreeSpace / 1048576;
        var text = string.Create(CultureInfo.InvariantCulture, $"{free} MB free where {dataDirectory} is (threshold {options.MinFreeDiskMegabytes} MB)");
        return Task.FromResult(free < options.MinFreeDiskMegabytes / 10 ? HealthCheckResult.Unhealthy(text)
            : free < options.MinFreeDiskMegabytes ? HealthCheckResult.Degraded(text)
            : HealthCheckResult.Healthy(text));
    }
}

/// <summary>
/// OpenClaw's state directory can be read (when Mnemo follows OpenClaw). A directory the user named
/// that is missing is degraded; the default one missing only means OpenClaw is not installed here.
/// </summary>
/// <param name="problems">What the latest pass over the directory could not read as a whole (a database whose schema changed, one that will not open), when Mnemo follows it.</param>
public sealed class OpenClawHealthCheck(string? stateDirectory, bool named, Func<IReadOnlyList<Domain.ReadIssue>>? problems = null) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (stateDirectory is null)
        {
            return Task.FromResult(HealthCheckResult.Healthy("not following OpenClaw"));
        }

        try
        {
            if (!Directory.Exists(stateDirectory))
            {
                return Task.FromResult(named
                    ? HealthCheckResult.Degraded($"OpenClaw's state directory {stateDirectory} does not exist")
                    : HealthCheckResult.Healthy($"no OpenClaw at {stateDirectory}; nothing to follow"));
            }

            var agents = Path.Combine(stateDirectory, "agents");
            var count = Directory.Exists(agents) ? Directory.EnumerateDirectories(agents).Count() : 0;
            if (problems?.Invoke() is { Count: > 0 } unread)
            {
                return Task.FromResult(HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture,
                    $"{unread.Count} source(s) under {stateDirectory} cannot be read, the others are followed: {string.Join("; ", unread.Take(3))}")));
            }

            return Task.FromResult(HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{stateDirectory} readable, {count} agents")));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"OpenClaw's state directory {stateDirectory} cannot be read: {ex.Message}"));
        }
    }
}

/// <summary>
/// Data quality: the last day's ingest against its usual range (over ten times below or above the
/// median of the two weeks before, once that median is at least 20 a day), a burst of duplicate or
/// empty turns, and embedding failures in the last hour.
/// </summary>
public sealed class DataQualityHealthCheck(MemoryEngine engine, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var (perDay, recent, distinct, empty) = await engine.Store.IngestVolumeAsync(now - TimeSpan.FromDays(15), now - TimeSpan.FromDays(1), cancellationToken).ConfigureAwait(false);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var usual = Enumerable.Range(1, 14).Select(d => perDay.GetValueOrDefault(today.AddDays(-d))).Order().ToList();
        var median = usual[usual.Count / 2];
        var problems = new List<string>();
        if (median >= 20 && recent * 10 < median)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"ingest is far below its usual range: {recent} memories in the last 24 h against a median of {median} a day (is OpenClaw being followed?)"));
        }
        else if (median >= 20 && recent > median * 10)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"ingest is far above its usual range: {recent} memories in the last 24 h against a median of {median} a day"));
        }

        if (recent >= 20 && distinct * 2 < recent)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"a burst of duplicate turns: {recent - distinct} of the last 24 h's {recent} memories repeat another's content"));
        }

        if (empty >= 10)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"a burst of empty turns: {empty} in the last 24 h"));
        }

        var (failures, at, reason) = engine.EmbeddingFailures.Snapshot;
        if (at is { } last && now - last < TimeSpan.FromHours(1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"embedding failed {failures} time(s), last at {last:HH:mm:ss} UTC: {reason}"));
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{recent} memories in the last 24 h (median {median} a day)"))
            : HealthCheckResult.Degraded(string.Join("; ", problems));
    }
}
