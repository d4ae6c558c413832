using System.Collections.Concurrent;
using Cronos;
using Microsoft.Extensions.Logging;

namespace Mnemo.Scheduling;

/// <summary>
/// Runs jobs on cron schedules in a time zone. Next and last runs are persisted, so a run missed
/// while Mnemo was down happens once at start (not once per missed slot). A job never runs twice
/// at once: in-process by tracking its run, across processes by a lease in the store. A failed run
/// is retried with exponential backoff, then the job waits for its next occurrence. All time comes
/// from <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class JobScheduler : IDisposable
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(1);
    private static readonly TimeSpan LeaseBusyDelay = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, IScheduledJob> _jobs;
    private readonly Dictionary<string, CronExpression> _crons = new(StringComparer.Ordinal);
    private readonly ScheduleOptions _options;
    private readonly TimeZoneInfo _zone;
    private readonly JobStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _owner;
    private readonly ConcurrentDictionary<string, Due> _due = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly IJobCoordinator? _coordinator;

    /// <param name="coordinator">With a store shared by several nodes: who runs each occurrence. Null on one machine.</param>
    public JobScheduler(IEnumerable<IScheduledJob> jobs, ScheduleOptions options, JobStore store, TimeProvider time, ILogger<JobScheduler> logger, IJobCoordinator? coordinator = null)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(options);
        _coordinator = coordinator;
        _jobs = jobs.ToDictionary(j => j.Name, StringComparer.Ordinal);
        _options = options;
        _zone = options.ResolveTimeZone();
        _store = store;
        _time = time;
        _logger = logger;
        _owner = JobStore.OwnerId();
        if (options.RetryAttempts is < 0 or > 20)
        {
            throw new ArgumentException($"Schedule:RetryAttempts must be between 0 and 20, not {options.RetryAttempts}");
        }

        if (options.RetryDelay <= TimeSpan.Zero || options.Lease <= TimeSpan.Zero)
        {
            throw new ArgumentException("Schedule:RetryDelay and Schedule:Lease must be positive");
        }

        foreach (var name in options.Jobs.Keys.Where(n => !_jobs.ContainsKey(n) && !ScheduleOptions.DefaultCrons.ContainsKey(n)))
        {
            throw new ArgumentException($"Schedule:Jobs:{name}: there is no job of that name; known jobs: {string.Join(", ", KnownNames())}");
        }

        foreach (var name in _jobs.Keys)
        {
            var schedule = options.For(name);
            if (string.IsNullOrWhiteSpace(schedule.Cron))
            {
                continue;
            }

            try
            {
                _crons[name] = CronExpression.Parse(schedule.Cron, CronFormat.Standard);
            }
            catch (CronFormatException ex)
            {
                throw new ArgumentException($"Schedule:Jobs:{name}:Cron: '{schedule.Cron}' is not a five-field cron expression ({ex.Message})", ex);
            }
        }
    }

    public TimeZoneInfo TimeZone => _zone;

    /// <summary>Every job the config or this build knows, with schedule and state.</summary>
    public async Task<IReadOnlyList<ScheduledJobInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var states = await _store.GetAllAsync(cancellationToken).ConfigureAwait(false);
        return KnownNames().Select(name =>
        {
            var schedule = _options.For(name);
            var state = states.TryGetValue(name, out var s) ? s : JobState.Empty(name);
            var available = _jobs.TryGetValue(name, out var job);
            var enabled = _options.Enabled && schedule.Enabled != false && !string.IsNullOrWhiteSpace(schedule.Cron);
            if (available && enabled && (state.NextRun is null || !_due.ContainsKey(name)) && _crons.TryGetValue(name, out var cron))
            {
                state = state with { NextRun = state.NextRun ?? cron.GetNextOccurrence(_time.GetUtcNow(), _zone) };
            }

            return new ScheduledJobInfo(name, job?.Description ?? "not part of this build yet", schedule.Cron, enabled && available, available, state);
        }).ToList();
    }

    /// <summary>Crontab lines equivalent to the schedule, each calling <c>{command} run &lt;job&gt;</c>.</summary>
    public IReadOnlyList<string> ToCrontab(string command)
    {
        var lines = new List<string>
        {
            "# Mnemo's schedule for the system cron. Set Schedule:Enabled to false in config.json so mnemo serve does not run them too.",
        };
        if (!ReferenceEquals(_zone, TimeZoneInfo.Local) && _zone.Id != TimeZoneInfo.Local.Id)
        {
            lines.Add($"# The times are in {_zone.Id}; cronie reads CRON_TZ, other crons use the system's zone.");
            lines.Add($"CRON_TZ={_zone.Id}");
        }

        foreach (var name in _jobs.Keys.Order(StringComparer.Ordinal))
        {
            var schedule = _options.For(name);
            if (schedule.Enabled != false && !string.IsNullOrWhiteSpace(schedule.Cron))
            {
                lines.Add($"{schedule.Cron} {command} run {name}");
            }
        }

        return lines;
    }

    /// <summary>
    /// Reads the persisted state and decides each job's next run: a persisted next run that has
    /// passed is due now, once (catch-up); otherwise the next occurrence of its cron.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        _due.Clear();
        if (!_options.Enabled)
        {
            return;
        }

        await _store.ReleaseDeadLeasesAsync(_owner, cancellationToken).ConfigureAwait(false);
        var states = await _store.GetAllAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        foreach (var (name, cron) in _crons)
        {
            if (_options.For(name).Enabled == false)
            {
                continue;
            }

            var state = states.TryGetValue(name, out var s) ? s : JobState.Empty(name);
            if (state.NextRun is { } next && next <= now)
            {
                Log.CatchUp(_logger, name, next);
                _due[name] = new Due(now, next, JobTrigger.CatchUp, 1);
                continue;
            }

            var occurrence = cron.GetNextOccurrence(now, _zone) ?? DateTimeOffset.MaxValue;
            _due[name] = new Due(occurrence, occurrence, JobTrigger.Schedule, 1);
            await _store.SetNextRunAsync(name, occurrence, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>When the next job is due; null when none is scheduled.</summary>
    public DateTimeOffset? NextDue => _due.IsEmpty ? null : _due.Values.Min(d => d.At);

    /// <summary>Starts every due job that is not already running; returns the runs started.</summary>
    public IReadOnlyList<Task> StartDueJobs(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var started = new List<Task>();
        foreach (var (name, due) in _due)
        {
            if (due.At > now || _running.ContainsKey(name))
            {
                continue;
            }

            var run = Task.Run(() => RunScheduledAsync(_jobs[name], due, cancellationToken), CancellationToken.None);
            if (_running.TryAdd(name, run))
            {
                started.Add(run);
                _ = run.ContinueWith(
                    _ =>
                    {
                        _running.TryRemove(name, out Task? _);
                        _wake.Release();
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }

        return started;
    }

    /// <summary>The scheduler's loop: runs jobs as they come due until stopped.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                StartDueJobs(cancellationToken);
                // Jobs still running are woken for by their end, not by their (past) due time.
                var pending = _due.Where(d => !_running.ContainsKey(d.Key)).Select(d => d.Value.At).ToList();
                var wait = pending.Count > 0 ? pending.Min() - _time.GetUtcNow() : MaxWait;
                wait = wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxWait ? MaxWait : wait;
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                await Task.WhenAny(Task.Delay(wait, _time, linked.Token), _wake.WaitAsync(linked.Token)).ConfigureAwait(false);
                await linked.CancelAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await Task.WhenAll(_running.Values).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a job now (<c>mnemo run</c>), whatever its schedule; refuses while it runs elsewhere.</summary>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="InvalidOperationException">The job is running (in this or another process).</exception>
    public async Task<JobRun> RunNowAsync(string name, CancellationToken cancellationToken)
    {
        if (!_jobs.TryGetValue(name, out var job))
        {
            throw new ArgumentException($"there is no job '{name}'; jobs: {string.Join(", ", _jobs.Keys.Order(StringComparer.Ordinal))}");
        }

        await _store.ReleaseDeadLeasesAsync(_owner, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        if (!await _store.TryAcquireAsync(name, _owner, now, now + _options.Lease, cancellationToken).ConfigureAwait(false))
        {
            var state = await _store.GetAsync(name, cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"job {name} is running ({state.LeaseOwner}, lease until {state.LeaseUntil:u}); try again when it has finished");
        }

        var run = await ExecuteAsync(job, null, JobTrigger.Manual, 1, cancellationToken).ConfigureAwait(false);
        var previous = await _store.GetAsync(name, cancellationToken).ConfigureAwait(false);
        await _store.CompleteAsync(run, _owner, nextRun: null, run.Succeeded ? 0 : previous.Failures + 1, cancellationToken).ConfigureAwait(false);
        return run;
    }

    public void Dispose() => _wake.Dispose();

    private async Task RunScheduledAsync(IScheduledJob job, Due due, CancellationToken cancellationToken)
    {
        try
        {
            await RunAndRecordAsync(job, due, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the persisted next run brings the job back at the next start.
        }
#pragma warning disable CA1031 // The store failed around the run (disk full, locked): try again later, never spin.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.StoreFailed(_logger, job.Name, ex);
            _due[job.Name] = due with { At = _time.GetUtcNow() + LeaseBusyDelay };
        }
    }

    private async Task RunAndRecordAsync(IScheduledJob job, Due due, CancellationToken cancellationToken)
    {
        IJobClaim? claim = null;
        if (_coordinator is not null && due.Occurrence is { } occurrence)
        {
            claim = await _coordinator.TryClaimAsync(job.Name, occurrence, cancellationToken).ConfigureAwait(false);
            if (claim is null)
            {
                // Another node ran (or runs) this occurrence: this one waits for the next.
                var following = _crons[job.Name].GetNextOccurrence(_time.GetUtcNow(), _zone) ?? DateTimeOffset.MaxValue;
                Log.ClaimedElsewhere(_logger, job.Name, occurrence);
                _due[job.Name] = new Due(following, following, JobTrigger.Schedule, 1);
                await _store.SetNextRunAsync(job.Name, following, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        await using (claim)
        {
            await RunClaimedAsync(job, due, claim, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunClaimedAsync(IScheduledJob job, Due due, IJobClaim? claim, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (!await _store.TryAcquireAsync(job.Name, _owner, now, now + _options.Lease, cancellationToken).ConfigureAwait(false))
        {
            Log.Busy(_logger, job.Name);
            _due[job.Name] = due with { At = now + LeaseBusyDelay };
            if (claim is not null)
            {
                await claim.CompleteAsync(succeeded: false, CancellationToken.None).ConfigureAwait(false);
            }

            return;
        }

        var run = await ExecuteAsync(job, due.Occurrence, due.Trigger, due.Attempt, cancellationToken).ConfigureAwait(false);
        if (claim is not null)
        {
            await claim.CompleteAsync(run.Succeeded, CancellationToken.None).ConfigureAwait(false);
        }

        var previous = await _store.GetAsync(job.Name, CancellationToken.None).ConfigureAwait(false);
        Due next;
        if (run.Succeeded || due.Attempt > _options.RetryAttempts)
        {
            if (!run.Succeeded)
            {
                Log.GaveUp(_logger, job.Name, due.Attempt);
            }

            var occurrence = _crons[job.Name].GetNextOccurrence(run.Finished, _zone) ?? DateTimeOffset.MaxValue;
            next = new Due(occurrence, occurrence, JobTrigger.Schedule, 1);
        }
        else
        {
            var delay = _options.RetryDelay * Math.Pow(2, due.Attempt - 1);
            next = new Due(run.Finished + delay, due.Occurrence, JobTrigger.Retry, due.Attempt + 1);
            Log.WillRetry(_logger, job.Name, next.At, due.Attempt, _options.RetryAttempts);
        }

        _due[job.Name] = next;
        await _store.CompleteAsync(run, _owner, next.At, run.Succeeded ? 0 : previous.Failures + 1, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task<JobRun> ExecuteAsync(IScheduledJob job, DateTimeOffset? occurrence, JobTrigger trigger, int attempt, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        using var activity = Telemetry.Source.StartActivity("mnemo.job");
        activity?.SetTag("mnemo.job", job.Name);
        activity?.SetTag("mnemo.trigger", trigger.ToString());
        Log.Starting(_logger, job.Name, trigger, attempt);
        string detail;
        bool succeeded;
        try
        {
            detail = await job.RunAsync(new JobContext(job.Name, occurrence, started, trigger, attempt), cancellationToken).ConfigureAwait(false);
            succeeded = true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            detail = "stopped: Mnemo was shutting down";
            succeeded = false;
        }
#pragma warning disable CA1031 // A job's failure of any kind is recorded and retried; it must not stop the scheduler.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            detail = $"{ex.GetType().Name}: {ex.Message}";
            succeeded = false;
            Log.Failed(_logger, job.Name, ex);
        }

        var finished = _time.GetUtcNow();
        Telemetry.JobRuns.Add(1, new("job", job.Name), new("outcome", succeeded ? "succeeded" : "failed"));
        Telemetry.JobDuration.Record((finished - started).TotalSeconds, new KeyValuePair<string, object?>("job", job.Name));
        activity?.SetStatus(succeeded ? System.Diagnostics.ActivityStatusCode.Ok : System.Diagnostics.ActivityStatusCode.Error);
        if (succeeded)
        {
            Log.Succeeded(_logger, job.Name, (long)(finished - started).TotalMilliseconds, detail);
        }

        return new JobRun(job.Name, occurrence, attempt, trigger, started, finished, succeeded, detail);
    }

    private IEnumerable<string> KnownNames() =>
        ScheduleOptions.DefaultCrons.Keys.Concat(_jobs.Keys).Concat(_options.Jobs.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

    private sealed record Due(DateTimeOffset At, DateTimeOffset? Occurrence, JobTrigger Trigger, int Attempt);

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "job {Job} missed its run at {Due:u} while Mnemo was down; running it once now")]
        public static partial void CatchUp(ILogger logger, string job, DateTimeOffset due);

        [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "job {Job} is running in another process; trying again in a minute")]
        public static partial void Busy(ILogger logger, string job);

        [LoggerMessage(EventId = 402, Level = LogLevel.Debug, Message = "job {Job} starting ({Trigger}, attempt {Attempt})")]
        public static partial void Starting(ILogger logger, string job, JobTrigger trigger, int attempt);

        [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "job {Job} succeeded in {Milliseconds} ms: {Detail}")]
        public static partial void Succeeded(ILogger logger, string job, long milliseconds, string detail);

        [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "job {Job} failed")]
        public static partial void Failed(ILogger logger, string job, Exception exception);

        [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "job {Job} will retry at {At:u} (attempt {Attempt} of {Retries} retries failed)")]
        public static partial void WillRetry(ILogger logger, string job, DateTimeOffset at, int attempt, int retries);

        [LoggerMessage(EventId = 406, Level = LogLevel.Error, Message = "job {Job} failed {Attempts} times; waiting for its next occurrence")]
        public static partial void GaveUp(ILogger logger, string job, int attempts);

        [LoggerMessage(EventId = 407, Level = LogLevel.Error, Message = "job {Job} could not be started or recorded; trying again in a minute")]
        public static partial void StoreFailed(ILogger logger, string job, Exception exception);

        [LoggerMessage(EventId = 408, Level = LogLevel.Information, Message = "job {Job}: the occurrence of {Occurrence:u} ran on another node; waiting for the next")]
        public static partial void ClaimedElsewhere(ILogger logger, string job, DateTimeOffset occurrence);
    }
}
