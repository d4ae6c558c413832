using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Mnemo.Scheduling;
using Mnemo.Storage;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Scheduling;

/// <summary>The scheduler against a real store, with the clock moved by the test instead of sleeping.</summary>
public sealed class SchedulerTests : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 7, 59, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private SqliteMemoryStore _store = null!;

    public async Task InitializeAsync() => _store = await SqliteMemoryStore.OpenAsync(_dir.File("m.db"), TimeProvider.System, CancellationToken.None);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    private JobScheduler Scheduler(FakeTimeProvider time, ScheduleOptions? options, params IScheduledJob[] jobs) =>
        new(jobs, options ?? Options(), new JobStore(_store), time, NullLogger<JobScheduler>.Instance);

    private static ScheduleOptions Options(string cron = "0 8-22 * * *", int retries = 3) => new()
    {
        TimeZone = "UTC",
        RetryAttempts = retries,
        Jobs = { ["test"] = new JobScheduleOptions { Cron = cron } },
    };

    [Fact]
    public async Task Occurrence_RunsTheJobWhenTheClockReachesIt_AndPersistsTheRun()
    {
        var time = new FakeTimeProvider(Start);
        var job = new RecordingJob();
        using var scheduler = Scheduler(time, null, job);
        await scheduler.InitializeAsync(CancellationToken.None);

        Assert.Empty(scheduler.StartDueJobs(CancellationToken.None));
        Assert.Equal(Start.AddMinutes(1), scheduler.NextDue);
        time.Advance(TimeSpan.FromMinutes(1));
        await Task.WhenAll(scheduler.StartDueJobs(CancellationToken.None));

        Assert.Equal(1, job.Runs);
        Assert.Equal(Start.AddMinutes(1), job.Contexts[0].Occurrence);
        Assert.Equal(JobTrigger.Schedule, job.Contexts[0].Trigger);
        var state = await new JobStore(_store).GetAsync("test", CancellationToken.None);
        Assert.Equal("succeeded", state.LastOutcome);
        Assert.Equal(Start.AddMinutes(61), state.NextRun);
        Assert.Equal("ran 1", state.LastDetail);
        Assert.Null(state.LeaseOwner);
    }

    [Fact]
    public async Task MissedWhileDown_RunsOnceAtStart_NotOncePerMissedSlot()
    {
        var time = new FakeTimeProvider(Start);
        using (var first = Scheduler(time, null, new RecordingJob()))
        {
            await first.InitializeAsync(CancellationToken.None);
        }

        // Mnemo is down from 07:59 to 12:30: the 08:00 ... 12:00 runs were all missed.
        time.Advance(TimeSpan.FromHours(4.5));
        var job = new RecordingJob();
        using var second = Scheduler(time, null, job);
        await second.InitializeAsync(CancellationToken.None);
        await Task.WhenAll(second.StartDueJobs(CancellationToken.None));
        await Task.WhenAll(second.StartDueJobs(CancellationToken.None));

        Assert.Equal(1, job.Runs);
        Assert.Equal(JobTrigger.CatchUp, job.Contexts[0].Trigger);
        Assert.Equal(Start.AddMinutes(1), job.Contexts[0].Occurrence);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 13, 0, 0, TimeSpan.Zero), second.NextDue);
    }

    [Fact]
    public async Task FirstStart_DoesNotRunJobsWhoseTimeHasPassed()
    {
        var time = new FakeTimeProvider(Start.AddHours(5));
        var job = new RecordingJob();
        using var scheduler = Scheduler(time, null, job);
        await scheduler.InitializeAsync(CancellationToken.None);

        Assert.Empty(scheduler.StartDueJobs(CancellationToken.None));
        Assert.Equal(0, job.Runs);
    }

    [Fact]
    public async Task LongRun_IsNeverStartedTwice_AndSkipsTheOccurrencesItOverlapped()
    {
        var time = new FakeTimeProvider(Start);
        var job = new RecordingJob { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var scheduler = Scheduler(time, Options("* * * * *"), job);
        await scheduler.InitializeAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(1));
        var running = scheduler.StartDueJobs(CancellationToken.None);
        await job.Started.Task;

        time.Advance(TimeSpan.FromMinutes(3));
        var again = scheduler.StartDueJobs(CancellationToken.None);
        // Another process (mnemo run) is refused while the lease is held.
        using var other = Scheduler(time, Options("* * * * *"), new RecordingJob());
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => other.RunNowAsync("test", CancellationToken.None));
        job.Gate.SetResult();
        await Task.WhenAll(running);

        _ = Assert.Single(running);
        Assert.Empty(again);
        Assert.Contains("is running", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, job.Runs);
        Assert.Equal(Start.AddMinutes(5), scheduler.NextDue);
    }

    [Fact]
    public async Task LeaseOfAKilledProcess_IsFreed_ButOneOfAnotherMachineIsRespected()
    {
        var time = new FakeTimeProvider(Start);
        var store = new JobStore(_store);
        using var scheduler = Scheduler(time, null, new RecordingJob());
        // A process of this machine that no longer exists (killed mid-run) holds the lease for an hour.
        Assert.True(await store.TryAcquireAsync("test", $"{Environment.MachineName}:2147483646:1764000000000:deadbeef", Start, Start.AddHours(1), CancellationToken.None));
        var run = await scheduler.RunNowAsync("test", CancellationToken.None);
        Assert.True(await store.TryAcquireAsync("test", "other-host:42:1764000000000:cafebabe", Start, Start.AddHours(1), CancellationToken.None));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => scheduler.RunNowAsync("test", CancellationToken.None));

        Assert.True(run.Succeeded);
        Assert.Contains("other-host:42", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailedRun_IsRetriedWithExponentialBackoff_ThenRecordedAsSucceeded()
    {
        var time = new FakeTimeProvider(Start);
        var job = new RecordingJob { FailTimes = 2 };
        using var scheduler = Scheduler(time, Options(), job);
        await scheduler.InitializeAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(1));
        await Task.WhenAll(scheduler.StartDueJobs(CancellationToken.None));
        var afterFirst = await new JobStore(_store).GetAsync("test", CancellationToken.None);
        Assert.Equal(Start.AddMinutes(2), scheduler.NextDue);

        time.Advance(TimeSpan.FromMinutes(1));
        await Task.WhenAll(scheduler.StartDueJobs(CancellationToken.None));
        Assert.Equal(Start.AddMinutes(4), scheduler.NextDue);
        time.Advance(TimeSpan.FromSeconds(119));
        Assert.Empty(scheduler.StartDueJobs(CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(scheduler.StartDueJobs(CancellationToken.None));

        Assert.Equal("failed", afterFirst.LastOutcome);
        Assert.Equal(1, afterFirst.Failures);
        Assert.Contains("boom 1", afterFirst.LastDetail, StringComparison.Ordinal);
        Assert.Equal([JobTrigger.Schedule, JobTrigger.Retry, JobTrigger.Retry], job.Contexts.Select(c => c.Trigger));
        Assert.Equal([1, 2, 3], job.Contexts.Select(c => c.Attempt));
        Assert.All(job.Contexts, c => Assert.Equal(Start.AddMinutes(1), c.Occurrence));
        var state = await new JobStore(_store).GetAsync("test", CancellationToken.None);
        Assert.Equal("succeeded", state.LastOutcome);
        Assert.Equal(0, state.Failures);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero), scheduler.NextDue);
        var runs = await new JobStore(_store).GetRunsAsync("test", 10, CancellationToken.None);
        Assert.Equal([true, false, false], runs.Select(r => r.Succeeded));
    }

    [Fact]
    public async Task FailedRun_GivesUpAfterTheRetries_AndWaitsForTheNextOccurrence()
    {
        var time = new FakeTimeProvider(Start);
        var job = new RecordingJob { FailTimes = int.MaxValue };
        using var scheduler = Scheduler(time, Options(retries: 1), job);
        await scheduler.InitializeAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(1));
        await Task.WhenAll(scheduler.StartDueJobs(CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(1));
        await Task.WhenAll(scheduler.StartDueJobs(CancellationToken.None));

        Assert.Equal(2, job.Runs);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero), scheduler.NextDue);
        var state = await new JobStore(_store).GetAsync("test", CancellationToken.None);
        Assert.Equal("failed", state.LastOutcome);
        Assert.Equal(2, state.Failures);
    }

    [Fact]
    public async Task Loop_WaitsOnTheClock_AndRunsEachOccurrence()
    {
        var time = new FakeTimeProvider(Start);
        var job = new RecordingJob();
        using var scheduler = Scheduler(time, null, job);
        using var stop = new CancellationTokenSource();
        var loop = scheduler.RunAsync(stop.Token);
        await Eventually.HoldsAsync(() => scheduler.NextDue is not null, "timed out waiting for the scheduler", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(10));

        // The loop may be between reading the clock and arming its timer when the clock moves, so
        // the clock moves in steps, as a real one would, until the run is seen.
        await AdvanceUntilAsync(time, () => job.Runs == 1);
        await AdvanceUntilAsync(time, () => job.Runs == 2);
        await stop.CancelAsync();
        await loop;

        Assert.Equal([Start.AddMinutes(1), Start.AddMinutes(61)], job.Contexts.Select(c => c.Occurrence!.Value));
    }

    [Fact]
    public async Task TimeZone_CronIsReadInTheConfiguredZone()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        var options = new ScheduleOptions { TimeZone = "Europe/Berlin", Jobs = { ["test"] = new JobScheduleOptions { Cron = "0 21 * * *" } } };
        using var scheduler = Scheduler(time, options, new RecordingJob());
        await scheduler.InitializeAsync(CancellationToken.None);

        Assert.Equal(new DateTimeOffset(2026, 11, 25, 20, 0, 0, TimeSpan.Zero), scheduler.NextDue);
    }

    [Fact]
    public async Task DisabledJob_IsNotScheduled_ButCanStillBeRunByHand()
    {
        var time = new FakeTimeProvider(Start);
        var job = new RecordingJob();
        var options = new ScheduleOptions { TimeZone = "UTC", Jobs = { ["test"] = new JobScheduleOptions { Cron = "* * * * *", Enabled = false } } };
        using var scheduler = Scheduler(time, options, job);
        await scheduler.InitializeAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromHours(1));

        Assert.Empty(scheduler.StartDueJobs(CancellationToken.None));
        var run = await scheduler.RunNowAsync("test", CancellationToken.None);
        Assert.True(run.Succeeded);
        Assert.Equal(JobTrigger.Manual, run.Trigger);
        Assert.DoesNotContain("run test", string.Join('\n', scheduler.ToCrontab("mnemo")), StringComparison.Ordinal);
    }

    [Fact]
    public void BadConfig_IsRefusedWithTheSettingNamed()
    {
        var time = new FakeTimeProvider(Start);
        var badCron = Assert.Throws<ArgumentException>(() => Scheduler(time, Options("61 * * * *"), new RecordingJob()));
        var unknown = Assert.Throws<ArgumentException>(() => Scheduler(time, new ScheduleOptions { Jobs = { ["hourly-sumary"] = new JobScheduleOptions() } }, new RecordingJob()));
        var zone = Assert.Throws<ArgumentException>(() => Scheduler(time, new ScheduleOptions { TimeZone = "Mars/Olympus" }, new RecordingJob()));

        Assert.Contains("Schedule:Jobs:test:Cron", badCron.Message, StringComparison.Ordinal);
        Assert.Contains("hourly-sumary", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("Mars/Olympus", zone.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Crontab_HasOneLinePerScheduledJob_CallingMnemoRun()
    {
        var options = new ScheduleOptions { TimeZone = "Europe/Berlin", Jobs = { ["test"] = new JobScheduleOptions { Cron = "0 21 * * *" } } };
        using var scheduler = Scheduler(new FakeTimeProvider(Start), options, new RecordingJob(), new RecordingJob("other"));
        var lines = scheduler.ToCrontab("/opt/mnemo/mnemo --data-dir /srv/mnemo");

        Assert.Contains("0 21 * * * /opt/mnemo/mnemo --data-dir /srv/mnemo run test", lines);
        Assert.Contains("CRON_TZ=Europe/Berlin", lines);
        Assert.DoesNotContain(lines, l => l.Contains("run other", StringComparison.Ordinal));
    }

    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition)
    {
        for (var step = 0; !condition(); step++)
        {
            Assert.True(step < 500, "the scheduler did not run the job");
            time.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(20);
        }
    }

    private sealed class RecordingJob(string name = "test") : IScheduledJob
    {
        private int _runs;

        public string Name => name;

        public string Description => "a test job";

        public int FailTimes { get; init; }

        public TaskCompletionSource? Gate { get; init; }

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Runs => Volatile.Read(ref _runs);

        public List<JobContext> Contexts { get; } = [];

        public async Task<string> RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            lock (Contexts)
            {
                Contexts.Add(context);
            }

            var run = Interlocked.Increment(ref _runs);
            Started.TrySetResult();
            if (Gate is not null)
            {
                await Gate.Task.WaitAsync(cancellationToken);
            }

            if (run <= FailTimes)
            {
                throw new InvalidOperationException($"boom {run}");
            }

            return $"ran {run}";
        }
    }
}
