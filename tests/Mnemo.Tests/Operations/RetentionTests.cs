using Microsoft.Extensions.Time.Testing;
using Mnemo.Digests;
using Mnemo.Scheduling;
using Mnemo.Search;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Operations;

/// <summary>The daily retention job applies each kind's keep period, and keeps everything by default.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class RetentionTests(EmbedderFixture embedder)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task Retention_ForgetsTurnsAndDigestsPastTheirKeepPeriod_KeepsRecentTurnsAndRememberedFacts()
    {
        using var dir = new TempDirectory();
        using var keepAll = new TempDirectory();
        var clock = new FakeTimeProvider(Now);
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder, o => o with { Schedule = new ScheduleOptions { TimeZone = "UTC" }, Keep = new KeepOptions { TurnsDays = 30, DigestsDays = 30 } });
        await using var defaults = await EngineFactory.OpenAsync(keepAll.Path, embedder, o => o with { Schedule = new ScheduleOptions { TimeZone = "UTC" } });
        var old = Now.AddDays(-60);
        foreach (var store in new[] { engine, defaults })
        {
            await new Chat()
                .Say("main", "old", "user", "We decided the old office lease ends in September.", old)
                .Say("main", "old", "assistant", "Noted, the lease ends in September.", old.AddMinutes(1))
                .Say("main", "new", "user", "The new office is on Rua Augusta 12.", Now.AddDays(-2))
                .IngestAsync(store);
            await store.RememberAsync("main", "The user's blood type is A positive.", "test");
        }

        using var automation = Automation.Create(engine, null, clock);
        var digest = Assert.Single(await automation.Digests.WriteHourlyAsync(old.AddHours(2), CancellationToken.None), d => d.Agent == "main");
        using var keeping = Automation.Create(defaults, null, clock);

        var run = await automation.Scheduler.RunNowAsync(JobNames.Retention, CancellationToken.None);
        var kept = await keeping.Scheduler.RunNowAsync(JobNames.Retention, CancellationToken.None);

        Assert.True(run.Succeeded, run.Detail);
        Assert.Contains("2 turns and 1 digests", run.Detail, StringComparison.Ordinal);
        Assert.Contains("0 turns and 0 digests", kept.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(await engine.SearchAsync(new SearchRequest("office lease September", 10)), h => h.Memory.Session == "old" || h.Memory.Id == digest.MemoryId);
        Assert.Contains(await engine.SearchAsync(new SearchRequest("new office Rua Augusta", 5)), h => h.Memory.Session == "new");
        Assert.Contains(await engine.SearchAsync(new SearchRequest("blood type", 5)), h => h.Memory.Text.Contains("A positive", StringComparison.Ordinal));
        Assert.Empty(await automation.Digests.Store.ListAsync(DigestKind.Hourly, null, old.AddDays(-1), Now, 10, CancellationToken.None));
        Assert.Contains(await defaults.SearchAsync(new SearchRequest("office lease September", 10)), h => h.Memory.Session == "old");
    }

    [Fact]
    public async Task OldTurnsLeavingByTheirKeepPeriod_LeaveTheirDigestsWhole()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(Now);
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder, o => o with { Schedule = new ScheduleOptions { TimeZone = "UTC" }, Keep = new KeepOptions { TurnsDays = 30 } });
        var old = Now.AddDays(-60);
        await new Chat()
            .Say("main", "old", "user", "We decided the old office lease ends in September.", old)
            .IngestAsync(engine);
        using var automation = Automation.Create(engine, null, clock);
        var digest = Assert.Single(await automation.Digests.WriteHourlyAsync(old.AddHours(2), CancellationToken.None));

        var run = await automation.Scheduler.RunNowAsync(JobNames.Retention, CancellationToken.None);

        Assert.Contains("1 turns and 0 digests", run.Detail, StringComparison.Ordinal);
        Assert.Contains("September", (await automation.Digests.Store.GetAsync(digest.Id, CancellationToken.None))!.Text, StringComparison.Ordinal);
        Assert.Contains(await engine.SearchAsync(new SearchRequest("office lease September", 5)), h => h.Memory.Id == digest.MemoryId);
    }
}
