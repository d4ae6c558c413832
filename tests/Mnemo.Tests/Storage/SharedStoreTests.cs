using Microsoft.Extensions.Logging.Abstractions;
using Mnemo.Digests;
using Mnemo.Domain;
using Mnemo.Feedback;
using Mnemo.Postgres;
using Mnemo.Search;
using Mnemo.Storage;
using Mnemo.Tests.Support;
using Mnemo.Voice;
using Mnemo.Voice.Queue;
using Npgsql;

namespace Mnemo.Tests.Storage;

/// <summary>Several nodes on one PostgreSQL store, in one process: the change feed, job claims and the work queue.</summary>
[Collection(PostgresGroup.Name)]
public sealed class SharedStoreTests(PostgresServer server, EmbedderFixture embedder)
{
    [Fact]
    public async Task MemoryWrittenOnOneNode_IsFoundByVectorSearchOnTheOther_AndForgettingReachesItToo()
    {
        using var dir = new TempDirectory();
        var connection = await server.CreateDatabaseAsync();
        await using var a = await OpenNodeAsync(dir.File("a"), connection);
        await using var b = await OpenNodeAsync(dir.File("b"), connection);
        var feed = new PostgresChangeFeed((PostgresMemoryStore)b.Store, b.CatchUpAsync, Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresChangeFeed>.Instance);
        using var stop = new CancellationTokenSource();
        var following = feed.RunAsync(stop.Token);

        await a.IngestTurnsAsync("chat", "test", [Turn("t1", "The spare key is hidden under the blue flower pot")]);
        await Eventually.HoldsAsync(() => b.Index.Index.Count == 1);
        var vectorOnly = b.Options.Search with { TextWeight = 0 };
        var hits = await new HybridSearcher(b.Store, b.Index, embedder.Embedder, vectorOnly, TimeProvider.System).SearchAsync(new SearchRequest("where is the key for the door", 3), CancellationToken.None);

        Assert.Contains(hits, h => h.Memory.EntryId == "t1");
        var id = hits.First(h => h.Memory.EntryId == "t1").Memory.Id;
        await a.ForgetAsync([id], "test");
        await Eventually.HoldsAsync(() => b.Index.Index.Count == 0);
        Assert.True(feed.Applied >= 2);
        await stop.CancelAsync();
        await following;
    }

    [Fact]
    public async Task IndexCatchesUpFromTheSequence_WhenWritesInterleaveAcrossNodes()
    {
        using var dir = new TempDirectory();
        var connection = await server.CreateDatabaseAsync();
        await using var a = await OpenNodeAsync(dir.File("a"), connection);
        await using var b = await OpenNodeAsync(dir.File("b"), connection);

        await a.IngestTurnsAsync("chat", "test", [Turn("a1", "first from a")]);
        await b.IngestTurnsAsync("chat", "test", [Turn("b1", "first from b")]);
        await a.IngestTurnsAsync("chat", "test", [Turn("a2", "second from a")]);

        // A's own second write must not jump its watermark past B's write in between: catching up
        // applies B's write and (again, harmlessly) A's second.
        Assert.Equal(2, a.Index.Index.Count);
        Assert.True(a.Index.Watermark < (await a.Store.GetWatermarkAsync(CancellationToken.None)).Watermark);
        Assert.Equal(2, await a.CatchUpAsync());
        Assert.Equal(3, a.Index.Index.Count);
        Assert.Equal(3, await b.CatchUpAsync()); // B never saw A's first write, so its own did not move its watermark either
        Assert.Equal(3, b.Index.Index.Count);
    }

    [Fact]
    public async Task ChangeFeed_DatabaseRestarted_ReconnectsAndCatchesUp_WithoutRestartingTheNode()
    {
        // A server of this test's own, stopped and started again on the same data directory and port.
        await using var own = new PostgresServer();
        await own.InitializeAsync();
        using var dir = new TempDirectory();
        var connection = await own.CreateDatabaseAsync();
        await using var a = await OpenNodeAsync(dir.File("a"), connection, "node-a");
        await using var b = await OpenNodeAsync(dir.File("b"), connection, "node-b");
        // No polling: after the restart only catching up on reconnect, then notifications, can bring the writes.
        // Both nodes follow the store, as every served node does.
        var feed = new PostgresChangeFeed((PostgresMemoryStore)b.Store, b.CatchUpAsync, NullLogger<PostgresChangeFeed>.Instance) { PollInterval = TimeSpan.FromHours(1) };
        var writerFeed = new PostgresChangeFeed((PostgresMemoryStore)a.Store, a.CatchUpAsync, NullLogger<PostgresChangeFeed>.Instance) { PollInterval = TimeSpan.FromHours(1) };
        using var stop = new CancellationTokenSource();
        var following = feed.RunAsync(stop.Token);
        var writerFollowing = writerFeed.RunAsync(stop.Token);
        await a.IngestTurnsAsync("chat", "test", [Turn("before", "The plumber comes on Tuesday morning")]);
        await Eventually.HoldsAsync(() => b.Index.Index.Count == 1);

        await own.StopAsync();
        await Eventually.HoldsAsync(() => feed.Disconnections > 0 && writerFeed.Disconnections > 0); // nothing is written meanwhile
        await own.StartAsync();
        // Written at once, most likely while the follower still waits to reconnect: its notification is
        // lost to B. The writer's first request after the restart goes through: its own feed noticed
        // the loss, so no connection the restart cut is left in its pool.
        await a.IngestTurnsAsync("chat", "test", [Turn("while-away", "The gutter needs clearing before winter")]);
        await Eventually.HoldsAsync(() => b.Index.Index.Count == 2);
        await a.IngestTurnsAsync("chat", "test", [Turn("after", "The chimney sweep is booked for March")]);
        await Eventually.HoldsAsync(() => b.Index.Index.Count == 3);

        Assert.False(following.IsCompleted);
        Assert.True(feed.Applied >= 3);
        var ids = await Task.WhenAll(new[] { "before", "while-away", "after" }.Select(async entry => (await a.Store.FindIdAsync("family", "s1", entry, CancellationToken.None))!.Value));
        Assert.All(ids, id => Assert.True(b.Index.Index.Contains(id)));
        await stop.CancelAsync();
        await Task.WhenAll(following, writerFollowing);
    }

    [Fact]
    public async Task FortyVoiceJobs_DrainedAtOnceByTwoNodes_AreEachClaimedAndCompletedExactlyOnce()
    {
        using var dir = new TempDirectory();
        var connection = await server.CreateDatabaseAsync();
        await using var storeA = await PostgresMemoryStore.OpenAsync(connection, TimeProvider.System, CancellationToken.None);
        await using var storeB = await PostgresMemoryStore.OpenAsync(connection, TimeProvider.System, CancellationToken.None);
        var nodeA = new VoiceJobStore(storeA, TimeProvider.System, "node-a");
        var nodeB = new VoiceJobStore(storeB, TimeProvider.System, "node-b");
        var queued = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            var note = dir.File(FormattableString.Invariant($"note-{i}.ogg"));
            await File.WriteAllTextAsync(note, FormattableString.Invariant($"recording number {i}"));
            var (job, added) = await (i % 2 == 0 ? nodeA : nodeB).EnqueueAsync(note, "inbox", "family", null, CancellationToken.None);
            Assert.True(added);
            queued.Add(job.Id);
        }

        // Two workers on each node, all four claiming at once.
        var drained = await Task.WhenAll(DrainAsync(nodeA, 1), DrainAsync(nodeA, 2), DrainAsync(nodeB, 3), DrainAsync(nodeB, 4));

        var claimed = drained.SelectMany(d => d).ToList();
        Assert.Equal(queued.Order(), claimed.Order());
        Assert.True(drained[0].Count + drained[1].Count > 0 && drained[2].Count + drained[3].Count > 0, "one node took every job");
        var jobs = await nodeA.ListAsync(null, 100, CancellationToken.None);
        Assert.Equal(40, jobs.Count);
        Assert.All(jobs, job => Assert.Equal(("done", 1), (job.Status, job.Attempts)));
        Assert.Equal(queued.Select(id => id + 1000).Order(), jobs.Select(j => j.MemoryId!.Value).Order());
        Assert.Equal(new VoiceQueueStats(0, 0, 40, 0), await nodeB.StatsAsync(CancellationToken.None));
        var byNode = await ClaimedByAsync(connection);
        Assert.Equal(drained[0].Concat(drained[1]).Order(), byNode["node-a"].Order());
        Assert.Equal(drained[2].Concat(drained[3]).Order(), byNode["node-b"].Order());

        static async Task<List<long>> DrainAsync(VoiceJobStore node, int worker)
        {
            var ids = new List<long>();
            while (await node.ClaimAsync(CancellationToken.None) is { } job)
            {
                await Task.Delay(worker * 3);
                await node.CompleteAsync(job.Id, job.Id + 1000, TimeSpan.FromSeconds(1), "en", "scripted", "test", CancellationToken.None);
                ids.Add(job.Id);
            }

            return ids;
        }
    }

    [Fact]
    public async Task ScheduledOccurrence_ClaimedByBothNodes_RunsOnce_AndADeadNodesClaimIsTakenOver()
    {
        var connection = await server.CreateDatabaseAsync();
        await using var store = await PostgresMemoryStore.OpenAsync(connection, TimeProvider.System, CancellationToken.None);
        var a = new PostgresJobCoordinator(store, "node-a", TimeProvider.System);
        var b = new PostgresJobCoordinator(store, "node-b", TimeProvider.System);
        var occurrence = new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

        var claims = await Task.WhenAll(RunOnceAsync(a), RunOnceAsync(b));

        Assert.Equal(1, claims.Count(c => c));
        Assert.Equal(("succeeded", 2), await OccurrenceAsync(connection, "hourly-summary", occurrence));

        // A node that claims and dies (its lock goes with its connection) leaves "running": the next claimant takes it.
        var abandoned = await a.TryClaimAsync("daily-sync", occurrence, CancellationToken.None);
        Assert.NotNull(abandoned);
        await abandoned.DisposeAsync();
        var takeover = await b.TryClaimAsync("daily-sync", occurrence, CancellationToken.None);
        Assert.NotNull(takeover);
        await takeover.CompleteAsync(succeeded: true, CancellationToken.None);
        await takeover.DisposeAsync();
        Assert.Null(await a.TryClaimAsync("daily-sync", occurrence, CancellationToken.None));

        async Task<bool> RunOnceAsync(PostgresJobCoordinator node)
        {
            await using var claim = await node.TryClaimAsync("hourly-summary", occurrence, CancellationToken.None);
            if (claim is null)
            {
                return false;
            }

            await Task.Delay(300);
            await claim.CompleteAsync(succeeded: true, CancellationToken.None);
            return true;
        }
    }

    [Fact]
    public async Task HundredQueuedItems_AreSplitBetweenTwoNodes_NoneTwice_AndAnExpiredLeaseMovesToTheOtherNode()
    {
        var connection = await server.CreateDatabaseAsync();
        await using var store = await PostgresMemoryStore.OpenAsync(connection, TimeProvider.System, CancellationToken.None);
        var a = new SharedWork(store, "node-a");
        var b = new SharedWork(store, "node-b");
        for (var i = 0; i < 100; i++)
        {
            await a.EnqueueAsync("test", $"item {i}", CancellationToken.None);
        }

        var done = await Task.WhenAll(DrainAsync(a), DrainAsync(b));

        Assert.Equal(100, done[0].Count + done[1].Count);
        Assert.Empty(done[0].Intersect(done[1]));
        Assert.NotEmpty(done[0]);
        Assert.NotEmpty(done[1]);
        Assert.Equal(100, (await a.CountAsync(CancellationToken.None))["done"]);

        var id = await a.EnqueueAsync("test", "slow item", CancellationToken.None);
        var held = await a.ClaimAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Equal(id, held!.Id);
        Assert.Null(await b.ClaimAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var taken = await b.ClaimAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal((id, 2), (taken!.Id, taken.Attempt));
        Assert.False(await a.CompleteAsync(id, CancellationToken.None));
        Assert.False(await a.RenewAsync(id, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.True(await b.CompleteAsync(id, CancellationToken.None));

        static async Task<List<long>> DrainAsync(SharedWork node)
        {
            var ids = new List<long>();
            while (await node.ClaimAsync(TimeSpan.FromSeconds(30), CancellationToken.None) is { } item)
            {
                await Task.Delay(5);
                Assert.True(await node.CompleteAsync(item.Id, CancellationToken.None));
                ids.Add(item.Id);
            }

            return ids;
        }
    }

    [Fact]
    public async Task DatabaseGoingAway_FailsFastWithAClearError_AndWorksAgainWhenItIsBack()
    {
        await using var own = new PostgresServer();
        await own.InitializeAsync();
        var connection = await own.CreateDatabaseAsync();
        await using var store = await PostgresMemoryStore.OpenAsync(connection, TimeProvider.System, CancellationToken.None);
        Assert.Empty(await store.SearchTextAsync(["anything"], MemoryFilter.None, 5, CancellationToken.None));

        await own.StopAsync();
        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.SearchTextAsync(["anything"], MemoryFilter.None, 5, CancellationToken.None));
        var health = await store.QuickCheckAsync(CancellationToken.None);

        Assert.Contains(store.Location, error.Message, StringComparison.Ordinal);
        Assert.Contains("unreachable", health, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(12), "a request waited instead of failing (the connect timeout is 5 s)");
        await own.StartAsync();
        await Eventually.HoldsAsync(async () => await store.QuickCheckAsync(CancellationToken.None) is null);
        Assert.Empty(await store.SearchTextAsync(["anything"], MemoryFilter.None, 5, CancellationToken.None));
    }

    [Fact]
    public async Task VoiceNoteQueuedOnOneNode_IsTranscribedByAnother_FromTheRecordingInTheStore_AndAStalledClaimMovesOn()
    {
        using var dir = new TempDirectory();
        var connection = await server.CreateDatabaseAsync();
        await using var a = await OpenNodeAsync(dir.File("a"), connection, "node-a");
        await using var b = await OpenNodeAsync(dir.File("b"), connection, "node-b");
        var note = dir.File("a-note.wav");
        File.Copy(SharedData.Speech("jfk.wav"), note);
        var (queued, _) = await VoiceJobStore.For(a, TimeProvider.System).EnqueueAsync(note, "inbox", "family", null, CancellationToken.None);
        File.Delete(note); // node A's disk: node B cannot see it

        var jobsB = VoiceJobStore.For(b, TimeProvider.System);
        using var workersB = new VoiceWorkers(b, jobsB, new VoiceOptions(), dir.File("b"), TimeProvider.System, NullLogger<VoiceWorkers>.Instance, () => new ScriptedTranscriber(_ => "The ferry leaves at seven from pier 4"));
        Assert.True(await workersB.ProcessNextAsync(CancellationToken.None));

        var done = (await jobsB.GetAsync(queued.Id, CancellationToken.None))!;
        Assert.Equal(("done", TimeSpan.FromSeconds(11)), (done.Status, done.Duration));
        Assert.Equal("The ferry leaves at seven from pier 4", (await a.GetMemoriesAsync([done.MemoryId!.Value]))[0].Text);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.File("b"), "voice", "shared")));

        // A node that claims a job and stops renewing (it died) loses it when the lease runs out;
        // its late result is refused, and only the node that took over completes the job.
        var second = dir.File("second.wav");
        File.Copy(SharedData.Speech("jfk.wav"), second);
        await File.AppendAllTextAsync(second, "different bytes, different recording");
        var (next, _) = await VoiceJobStore.For(a, TimeProvider.System).EnqueueAsync(second, "inbox", "family", null, CancellationToken.None);
        var dying = new VoiceJobStore(a.Records, TimeProvider.System, "node-dying", TimeSpan.FromSeconds(1));
        Assert.Equal(next.Id, (await dying.ClaimAsync(CancellationToken.None))?.Id);
        Assert.Null(await jobsB.ClaimAsync(CancellationToken.None));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var takeover = await jobsB.ClaimAsync(CancellationToken.None);
        Assert.Equal((next.Id, 2), (takeover?.Id, takeover?.Attempts));
        await dying.CompleteAsync(next.Id, 999, TimeSpan.FromSeconds(1), "en", "late", "late", CancellationToken.None);
        Assert.False(await dying.RenewAsync(next.Id, CancellationToken.None));
        Assert.Equal(("running", (long?)null), ((await jobsB.GetAsync(next.Id, CancellationToken.None))!.Status, (await jobsB.GetAsync(next.Id, CancellationToken.None))!.MemoryId));
        await jobsB.CompleteAsync(next.Id, 1000, TimeSpan.FromSeconds(11), "en", "scripted", "test", CancellationToken.None);
        Assert.Equal(("done", "scripted"), ((await jobsB.GetAsync(next.Id, CancellationToken.None))!.Status, (await jobsB.GetAsync(next.Id, CancellationToken.None))!.Engine));
    }

    [Fact]
    public async Task DigestsSignalsAndFeedback_WrittenByOneNode_AreWhatTheOtherReads()
    {
        using var dir = new TempDirectory();
        var connection = await server.CreateDatabaseAsync();
        await using var a = await OpenNodeAsync(dir.File("a"), connection, "node-a");
        await using var b = await OpenNodeAsync(dir.File("b"), connection, "node-b");
        await a.IngestTurnsAsync("chat", "test", [Turn("t1", "We decided to book the ferry for Friday")]);
        var memory = (await b.Store.FindIdAsync("family", "s1", "t1", CancellationToken.None))!.Value;
        var hour = new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
        await new DigestStore(a.Records).AddAsync(
            new Digest(0, DigestKind.Hourly, "family", hour, hour.AddHours(1), "extractive", "**Hourly**\n- ferry on Friday", [new("Decisions", "ferry on Friday", [memory])], 1, null, null, hour, null),
            CancellationToken.None);
        await a.Feedback.RecordAsync(FeedbackTarget.Memory, memory, -1, null, "ann", "telegram", hour, CancellationToken.None);
        await a.Compactions.RecordAsync(new CompactionEvent("family", "s1", "c1", 2, hour, 9000, 700, "Summary", null, CompactionDetails.Empty, "transcript"), CancellationToken.None);

        var digest = Assert.Single(await new DigestStore(b.Records).LatestAsync(null, "family", 5, CancellationToken.None));
        Assert.Equal("ferry on Friday", Assert.Single(digest.Lines).Text);
        Assert.True((await b.Feedback.GetAsync([memory], CancellationToken.None))[memory].Rejected);
        Assert.Equal(9000, (await b.Compactions.GetLatestAsync("family", "s1", CancellationToken.None))!.Event.TokensBefore);

        // Forgetting on B scrubs the digest A wrote.
        await b.ForgetAsync([memory], "test");
        Assert.Empty(Assert.Single(await new DigestStore(a.Records).LatestAsync(null, "family", 5, CancellationToken.None)).Lines);
    }

    private async Task<MemoryEngine> OpenNodeAsync(string dataDirectory, string connection, string? node = null) =>
        await MemoryEngines.OpenAsync(new MnemoOptions { DataDirectory = dataDirectory, Store = new StoreOptions { Provider = "postgres", Connection = connection, Node = node } }, embedder.Embedder);

    private static Turn Turn(string id, string text) =>
        new("family", "s1", id, null, "user", text, DateTimeOffset.UtcNow, "test", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), TurnProvenance.Default);

    private static async Task<(string Status, int Claims)> OccurrenceAsync(string connection, string job, DateTimeOffset occurrence)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT status, claims FROM job_occurrences WHERE job = @job AND occurrence = @occurrence", db);
        command.Parameters.AddWithValue("job", job);
        command.Parameters.AddWithValue("occurrence", occurrence.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetInt32(1));
    }

    private static async Task<Dictionary<string, List<long>>> ClaimedByAsync(string connection)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT node, id FROM voice_jobs ORDER BY id", db);
        await using var reader = await command.ExecuteReaderAsync();
        var claimed = new Dictionary<string, List<long>> { ["node-a"] = [], ["node-b"] = [] };
        while (await reader.ReadAsync())
        {
            claimed[reader.GetString(0)].Add(reader.GetInt64(1));
        }

        return claimed;
    }

}
