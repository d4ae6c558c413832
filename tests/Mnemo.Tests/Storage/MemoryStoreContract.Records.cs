using Mnemo.Digests;
using Mnemo.Domain;
using Mnemo.Feedback;
using Mnemo.Language;
using Mnemo.Retention;
using Mnemo.Scheduling;
using Mnemo.Signals;
using Mnemo.Storage;
using Mnemo.Tests.Support;
using Mnemo.Voice.Queue;

namespace Mnemo.Tests.Storage;

/// <summary>
/// The records beside the memories (compactions, digests, signals, feedback, jobs, the voice queue,
/// model calls): the same statements run on both backends, so the same tests do.
/// </summary>
public abstract partial class MemoryStoreContract
{
    private static readonly DateTimeOffset Hour = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    protected IRecordDatabase Records => (IRecordDatabase)Store;

    [Fact]
    public async Task Digests_AreKeptOncePerPeriod_FoundByTheMemoriesTheyCite_RewrittenAndExpired()
    {
        var digests = new DigestStore(Records);
        var lines = new List<DigestLine> { new("Decisions", "Use the blue tent", [11, 12]), new("Open", "Who books the ferry?", [13]) };
        var digest = new Digest(0, DigestKind.Hourly, "family", Hour, Hour.AddHours(1), "extractive", "**Hourly**\n- Use the blue tent", lines, 3, 501, null, Hour.AddHours(1), null);

        var (added, isNew) = await digests.AddAsync(digest, CancellationToken.None);
        var (again, againNew) = await digests.AddAsync(digest with { Text = "another text" }, CancellationToken.None);
        await digests.AddAsync(digest with { Kind = DigestKind.Daily, PeriodEnd = Hour.AddDays(1), Lines = [new("Decisions", "x", [99])], MemoryId = null }, CancellationToken.None);

        Assert.True(isNew);
        Assert.False(againNew);
        Assert.Equal(added.Id, again.Id);
        Assert.Equal("**Hourly**\n- Use the blue tent", again.Text);
        Assert.Equal(lines.Select(l => (l.Text, string.Join(",", l.MemoryIds))), again.Lines.Select(l => (l.Text, string.Join(",", l.MemoryIds))));
        Assert.Equal(added.Id, Assert.Single(await digests.CitingAsync([13, 77], CancellationToken.None)).Id);
        Assert.Empty(await digests.CitingAsync([501, 77], CancellationToken.None));
        Assert.Equal(2, (await digests.LatestAsync(null, "family", 10, CancellationToken.None)).Count);
        Assert.Equal(DigestKind.Daily, Assert.Single(await digests.LatestAsync(DigestKind.Daily, null, 10, CancellationToken.None)).Kind);
        Assert.Equal(Hour.AddDays(1), await digests.LatestPeriodEndAsync(DigestKind.Daily, CancellationToken.None));
        Assert.Null(await digests.LatestPeriodEndAsync(DigestKind.Weekly, CancellationToken.None));

        await digests.ReplaceAsync(added.Id, "**Hourly**", [lines[1]], CancellationToken.None);
        await digests.MarkDeliveredAsync(added.Id, Hour.AddHours(2), CancellationToken.None);
        var rewritten = await digests.GetAsync(added.Id, CancellationToken.None);
        Assert.Equal(("**Hourly**", Hour.AddHours(2)), (rewritten!.Text, rewritten.DeliveredAt));
        Assert.Empty(await digests.CitingAsync([11], CancellationToken.None));

        Assert.Equal([501L], (await digests.DeleteBeforeAsync(Hour.AddHours(2), CancellationToken.None)).Select(id => id ?? -1));
        Assert.Null(await digests.GetAsync(added.Id, CancellationToken.None));
    }

    [Fact]
    public async Task SessionKeys_RecordEachSessionOnce_AndNameTheKeysEarlierSessions_NewestFirst()
    {
        var keys = new SessionKeyStore(Records);

        var first = await keys.ObserveAsync("main", "agent:main:main", "s1", Hour, CancellationToken.None);
        var again = await keys.ObserveAsync("main", "agent:main:main", "s1", Hour.AddMinutes(5), CancellationToken.None);
        var afterReset = await keys.ObserveAsync("main", "agent:main:main", "s2", Hour.AddHours(1), CancellationToken.None);
        var afterSecond = await keys.ObserveAsync("main", "agent:main:main", "s3", Hour.AddHours(2), CancellationToken.None);
        await keys.ObserveAsync("main", "agent:main:telegram:group:7", "g1", Hour, CancellationToken.None);
        await keys.ObserveAsync("work", "agent:main:main", "w1", Hour, CancellationToken.None);

        Assert.Empty(first);
        Assert.Empty(again);
        Assert.Equal(["s1"], afterReset);
        Assert.Equal(["s2", "s1"], afterSecond);
        Assert.Equal(["s3", "s2", "s1"], await keys.ListAsync("main", "agent:main:main", CancellationToken.None));
        // Another process (a second node, a restart) reads what this one wrote.
        Assert.Equal(["s2", "s1"], await new SessionKeyStore(Records).ObserveAsync("main", "agent:main:main", "s3", Hour.AddHours(3), CancellationToken.None));
    }

    [Fact]
    public async Task Signals_CountDetections_MergeEvidence_AndAreListedByAgent()
    {
        var signals = new SignalStore(Records);
        var detected = new DetectedSignal(SignalKinds.SharedTopic, "topic:ferry", "info", "Both agents talk about the ferry", ["family", "work"], [5, 6]);

        var (first, firstNew) = await signals.UpsertAsync(detected, Hour, CancellationToken.None);
        var (second, secondNew) = await signals.UpsertAsync(detected with { Evidence = [6, 7], Severity = "warning" }, Hour.AddHours(1), CancellationToken.None);
        await signals.UpsertAsync(new DetectedSignal(SignalKinds.Deadline, "deadline:tax", "critical", "Tax return due", ["home"], [8], Hour.AddDays(3)), Hour, CancellationToken.None);

        Assert.True(firstNew);
        Assert.False(secondNew);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal((2, "warning", Hour, Hour.AddHours(1)), (second.Detections, second.Severity, second.FirstSeen, second.LastSeen));
        Assert.Equal([5L, 6L, 7L], second.Evidence);
        Assert.Equal(first.Id, Assert.Single(await signals.ListAsync(Hour, null, "work", 10, CancellationToken.None)).Id);
        Assert.Equal(Hour.AddDays(3), Assert.Single(await signals.ListAsync(Hour, SignalKinds.Deadline, null, 10, CancellationToken.None)).DueAt);
        Assert.Empty(await signals.ListAsync(Hour, null, "nobody", 10, CancellationToken.None));
        Assert.Equal(2, (await signals.ListAsync(Hour, null, null, 10, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Feedback_ReachesMemories_DirectlyAndThroughTheDigestsSignalsAndNoticesCitingThem()
    {
        var feedback = new FeedbackStore(Records);
        var digest = (await new DigestStore(Records).AddAsync(
            new Digest(0, DigestKind.Daily, "family", Hour, Hour.AddDays(1), "extractive", "text", [new("Decisions", "a", [21, 22]), new("Open", "b", [22])], 2, 600, null, Hour, null),
            CancellationToken.None)).Digest;
        var signal = (await new SignalStore(Records).UpsertAsync(new DetectedSignal(SignalKinds.Frustration, "f:1", "warning", "Frustrated", ["family"], [23]), Hour, CancellationToken.None)).Signal;
        var context = new RetainedContext("ctx", [new RetainedItem("compaction", SalientKind.Identifier, "ticket 4471", 24, Hour, "s1", "user", false, 1)], 10, 900);
        var notices = new ContextNoticeStore(Records);
        Assert.True(await notices.RecordAsync("family", "s1", context, Hour, CancellationToken.None));
        var notice = Assert.Single(await notices.PendingAsync(Hour.AddHours(-1), CancellationToken.None));
        Assert.Equal([24L], notice.MemoryIds);

        await feedback.RecordAsync(FeedbackTarget.Digest, digest.Id, 1, null, "ann", "telegram", Hour, CancellationToken.None);
        await feedback.RecordAsync(FeedbackTarget.Digest, digest.Id, 1, null, "bob", "telegram", Hour, CancellationToken.None);
        await feedback.RecordAsync(FeedbackTarget.Signal, signal.Id, -1, null, "ann", "telegram", Hour, CancellationToken.None);
        await feedback.RecordAsync(FeedbackTarget.Context, notice.Id, 1, null, "ann", "telegram", Hour, CancellationToken.None);
        await feedback.RecordAsync(FeedbackTarget.Memory, 25, -1, "wrong", "ann", "telegram", Hour, CancellationToken.None);
        var (changed, isChange) = await feedback.RecordAsync(FeedbackTarget.Memory, 25, -1, null, "ann", "telegram", Hour.AddMinutes(1), CancellationToken.None);

        var ratings = await feedback.GetAllAsync(CancellationToken.None);
        Assert.False(isChange);
        Assert.Equal(new MemoryRating(2, 0), ratings[600]);
        Assert.Equal(new MemoryRating(0, 2), ratings[21]);
        Assert.Equal(new MemoryRating(0, 2), ratings[22]);
        Assert.Equal(new MemoryRating(0, -1), ratings[23]);
        Assert.Equal(new MemoryRating(0, 1), ratings[24]);
        Assert.True(ratings[25].Rejected);
        var some = await feedback.GetAsync([22, 25, 99], CancellationToken.None);
        Assert.Equal([22L, 25L], some.Keys.Order());
        var week = Assert.Single(await feedback.WeeksAsync(Hour.AddDays(-1), CancellationToken.None), w => w.Target == FeedbackTarget.Digest);
        Assert.Equal((2, 0), (week.Up, week.Down));
        Assert.Equal(25, changed.TargetId);
    }

    [Fact]
    public async Task Compactions_TakeTheirSpanFromTheStoredMemories_AndAPluginReportMergesIntoTheTranscriptOne()
    {
        await WriteAsync([.. Enumerable.Range(1, 6).Select(i => Item("s1", i, $"turn {i}"))]);
        var compactions = new CompactionStore(Records, TimeProvider.System);
        var first = new CompactionEvent("family", "s1", "c1", 4, Day.AddMinutes(4), 12000, 800, "Summary", "e3", CompactionDetails.Empty, "transcript");

        var (recorded, added) = await compactions.RecordAsync(first, CancellationToken.None);
        var (merged, mergedNew) = await compactions.RecordAsync(first with { EntryId = null, Sequence = null, Origin = "plugin", SessionKey = "agent:family:main", Summary = null }, CancellationToken.None);
        var (later, _) = await compactions.RecordAsync(first with { EntryId = "c2", Sequence = 7, Timestamp = Day.AddHours(1), FirstKeptEntryId = "e6" }, CancellationToken.None);

        Assert.True(added);
        Assert.Equal((0L, 2L), (recorded.FromSequence, recorded.ToSequence));
        Assert.False(mergedNew);
        Assert.Equal(recorded.Id, merged.Id);
        Assert.Equal((3L, 5L), (later.FromSequence, later.ToSequence));
        var all = await compactions.ListAsync("family", "s1", null, 10, CancellationToken.None);
        Assert.Equal(2, all.Count);
        Assert.Equal("agent:family:main", Assert.Single(all, c => c.Id == recorded.Id).Event.SessionKey);
        Assert.Equal(later.Id, (await compactions.GetLatestAsync("family", "s1", CancellationToken.None))!.Id);
    }

    [Fact]
    public async Task Compactions_InARun_APluginReportAheadOfItsEntry_DoesNotMergeIntoThePreviousOne()
    {
        await WriteAsync([.. Enumerable.Range(1, 9).Select(i => Item("s1", i, $"turn {i}"))]);
        var compactions = new CompactionStore(Records, TimeProvider.System);
        var second = new CompactionEvent("family", "s1", "c2", 4, Day.AddMinutes(4), 12000, 800, "Summary", "e3", CompactionDetails.Empty, "transcript");
        var report = second with { EntryId = null, Sequence = null, Origin = "plugin", SessionKey = "agent:family:main", Summary = null, TokensBefore = 15000 };

        await compactions.RecordAsync(second, CancellationToken.None);
        await compactions.RecordAsync(report, CancellationToken.None);
        // The third compaction two minutes later: OpenClaw's report comes before the transcript is read.
        var (early, earlyNew) = await compactions.RecordAsync(report with { Timestamp = Day.AddMinutes(6), TokensBefore = 16000 }, CancellationToken.None);
        var (third, thirdNew) = await compactions.RecordAsync(second with { EntryId = "c3", Sequence = 8, Timestamp = Day.AddMinutes(6), FirstKeptEntryId = "e7" }, CancellationToken.None);

        Assert.True(earlyNew);
        Assert.False(thirdNew);
        Assert.Equal(early.Id, third.Id);
        var all = await compactions.ListAsync("family", "s1", null, 10, CancellationToken.None);
        Assert.Equal(2, all.Count);
        Assert.All(all, c => Assert.Equal("agent:family:main", c.Event.SessionKey));
        Assert.Equal(["c2", "c3"], all.Select(c => c.Event.EntryId).Order());
    }

    [Fact]
    public async Task Jobs_LeaseIsHeldByOneOwner_RunsAreKept_AndTheLeaseIsReleasedOnCompletion()
    {
        var jobs = new JobStore(Records);
        await jobs.SetNextRunAsync("hourly", Hour, CancellationToken.None);

        Assert.True(await jobs.TryAcquireAsync("hourly", "node-a", Hour, Hour.AddMinutes(5), CancellationToken.None));
        Assert.False(await jobs.TryAcquireAsync("hourly", "node-b", Hour.AddMinutes(1), Hour.AddMinutes(6), CancellationToken.None));
        await jobs.CompleteAsync(new JobRun("hourly", Hour, 1, JobTrigger.Schedule, Hour, Hour.AddSeconds(3), true, "2 digests"), "node-a", Hour.AddHours(1), 0, CancellationToken.None);
        Assert.True(await jobs.TryAcquireAsync("hourly", "node-b", Hour.AddMinutes(2), Hour.AddMinutes(7), CancellationToken.None));
        Assert.True(await jobs.TryAcquireAsync("weekly", "node-b", Hour, Hour.AddMinutes(1), CancellationToken.None));
        Assert.True(await jobs.TryAcquireAsync("weekly", "node-a", Hour.AddMinutes(2), Hour.AddMinutes(3), CancellationToken.None));

        var state = await jobs.GetAsync("hourly", CancellationToken.None);
        Assert.Equal((Hour.AddHours(1), Hour, "succeeded", "node-b"), (state.NextRun, state.LastOccurrence, state.LastOutcome, state.LeaseOwner));
        var run = Assert.Single(await jobs.GetRunsAsync("hourly", 10, CancellationToken.None));
        Assert.Equal((1, JobTrigger.Schedule, "2 digests"), (run.Attempt, run.Trigger, run.Detail));
        Assert.Equal(["hourly", "weekly"], (await jobs.GetAllAsync(CancellationToken.None)).Keys.Order());
    }

    [Fact]
    public async Task VoiceQueue_QueuesARecordingOnce_HandsItToOneClaim_AndRecordsHowItEnded()
    {
        using var dir = new TempDirectory();
        var note = dir.File("note.ogg");
        await File.WriteAllBytesAsync(note, [1, 2, 3, 4, 5]);
        var copy = dir.File("same-note.ogg");
        File.Copy(note, copy);
        var voice = new VoiceJobStore(Records, TimeProvider.System, "node-a");

        var (job, added) = await voice.EnqueueAsync(note, "inbox", "family", null, CancellationToken.None);
        var (same, sameAdded) = await voice.EnqueueAsync(copy, "upload", null, null, CancellationToken.None);
        var claimed = await voice.ClaimAsync(CancellationToken.None);
        var none = await voice.ClaimAsync(CancellationToken.None);
        var located = await voice.LocateAudioAsync(claimed!, dir.File("scratch"), CancellationToken.None);
        Assert.True(await voice.RenewAsync(job.Id, CancellationToken.None));
        await voice.CompleteAsync(job.Id, 42, TimeSpan.FromSeconds(3), "en", "whisper", "tiny", CancellationToken.None);

        Assert.True(added);
        Assert.False(sameAdded);
        Assert.Equal(job.Id, same.Id);
        Assert.Equal((job.Id, 1), (claimed!.Id, claimed.Attempts));
        Assert.Null(none);
        Assert.Equal(File.ReadAllBytes(note), File.ReadAllBytes(located!.Value.Path));
        Assert.False(located.Value.Fetched);
        var done = await voice.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(("done", 42L, TimeSpan.FromSeconds(3), "family"), (done!.Status, done.MemoryId, done.Duration, done.Agent));
        Assert.Equal(new VoiceQueueStats(0, 0, 1, 0), await voice.StatsAsync(CancellationToken.None));
        var health = await voice.HealthAsync(DateTimeOffset.UtcNow.AddHours(-1), CancellationToken.None);
        Assert.Equal((0L, (DateTimeOffset?)null, 1L, 0L), health);
        Assert.False(await voice.RenewAsync(job.Id, CancellationToken.None));
    }

    [Fact]
    public async Task SearchText_InALargeStore_ScoresOnlyTheRareTerms_WhenCommonOnesAreAsked_AndTheRarestWhenAllAreCommon()
    {
        for (var batch = 0; batch < CommonTerms.PruningFrom / 2_000; batch++)
        {
            await WriteAsync([.. Enumerable.Range((batch * 2_000) + 1, 2_000).Select(i => Item("harbour", i, i % 7_000 == 0 ? $"the zeppelin over the harbour, day {i}" : $"the harbour tide on day {i}"))]);
        }

        var rare = await Store.SearchTextAsync(["harbour", "zeppelin"], MemoryFilter.None, 50, CancellationToken.None);
        var common = await Store.SearchTextAsync(["harbour", "tide"], MemoryFilter.None, 50, CancellationToken.None);

        // Every memory holds "harbour": scored, it would fill the 50 places with ties.
        Assert.Equal(2, rare.Count);
        Assert.All(await Store.GetMemoriesAsync([.. rare.Select(r => r.Id)], CancellationToken.None), m => Assert.Contains("zeppelin", m.Text, StringComparison.Ordinal));
        Assert.Equal(50, common.Count);
    }

    [Fact]
    public async Task ModelCalls_AndThreePassRuns_AreKeptAndSummed()
    {
        var calls = new LlmCallStore(Records);
        await calls.RecordAsync(new LlmCall(Hour, "digest", "openai", "gpt", 1200, 300, 0.0125m, TimeSpan.FromMilliseconds(900), true, null), CancellationToken.None);
        await calls.RecordAsync(new LlmCall(Hour.AddMinutes(1), "digest", "openai", "gpt", null, null, null, TimeSpan.FromMilliseconds(50), false, "timeout"), CancellationToken.None);
        var runs = new PromptRunStore(Records);
        var id = await runs.StartAsync(new ThreePassRequest("daily", "Summarise the day", [new PromptSource(31, "turn", "text")]), Hour, CancellationToken.None);
        await runs.AddPassAsync(id, new PromptPass("draft", "p1", "first draft", 100, 40, TimeSpan.FromMilliseconds(300)), CancellationToken.None);
        await runs.AddPassAsync(id, new PromptPass("critique", "p2", "too long", 120, 10, TimeSpan.FromMilliseconds(200)), CancellationToken.None);
        await runs.FinishAsync(id, "final", null, CancellationToken.None);

        var usage = await calls.UsageAsync(Hour.AddMinutes(-1), CancellationToken.None);
        Assert.Equal(new LlmUsage(2, 1, 1200, 300, 0.0125m), usage);
        Assert.Equal(["timeout", null], (await calls.ListAsync(Hour, 10, CancellationToken.None)).Select(c => c.Error).OrderBy(e => e is null));
        var run = await runs.GetAsync(id, CancellationToken.None);
        Assert.Equal(("succeeded", "final", "first draft"), (run!.Outcome, run.Result, run.Draft));
        Assert.Equal([31L], run.SourceIds);
        Assert.Equal(2, run.Passes.Count);
    }
}
