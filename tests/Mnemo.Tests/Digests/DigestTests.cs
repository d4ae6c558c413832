using Microsoft.Extensions.Time.Testing;
using Mnemo.Digests;
using Mnemo.Scheduling;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Digests;

/// <summary>Hourly, daily and weekly digests from crafted two-agent conversations, without a model.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class DigestTests(EmbedderFixture embedder)
{
    /// <summary>Monday 2026-11-23, 09:00 UTC.</summary>
    private static readonly DateTimeOffset Monday9 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    internal static Chat Morning() => new Chat()
        .Say("main", "s1", "user", "Let's plan the billing migration. We decided to go with PostgreSQL 16 for the billing service.", Monday9)
        .Say("main", "s1", "assistant", "Great, PostgreSQL 16 it is. The old MySQL cluster stays read-only until January.", Monday9.AddMinutes(2))
        .Say("main", "s1", "user", "Please remind me to renew the domain mnemo.dev before it expires.", Monday9.AddMinutes(10))
        .Say("main", "s1", "assistant", "Noted, I will remind you about mnemo.dev.", Monday9.AddMinutes(11))
        .Say("main", "s1", "user", "The migration ticket is BILL-4521 and the staging host is db-staging-2.", Monday9.AddMinutes(20))
        .Say("main", "s1", "user", "I prefer short answers in the morning.", Monday9.AddMinutes(30))
        .Say("travel", "t1", "user", "Book a flight to Lisbon on December 12, a window seat if possible.", Monday9.AddMinutes(5))
        .Say("travel", "t1", "assistant", "I found TAP flight TP1234 for 212 EUR, leaving at 07:40.", Monday9.AddMinutes(6))
        .Say("travel", "t1", "user", "We'll go with TP1234.", Monday9.AddMinutes(8));

    private async Task<(MemoryEngine Engine, Automation Automation)> OpenAsync(TempDirectory dir, DateTimeOffset now, string? stateDirectory = null, Func<MnemoOptions, MnemoOptions>? configure = null)
    {
        var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder, o => (configure ?? (x => x))(o with { Schedule = new ScheduleOptions { TimeZone = "UTC" } }));
        return (engine, Automation.Create(engine, stateDirectory, new FakeTimeProvider(now)));
    }

    [Fact]
    public async Task Hourly_ADigestLeftWithoutItsSearchableCopy_GetsItAtTheNextRun()
    {
        using var dir = new TempDirectory();
        var (engine, automation) = await OpenAsync(dir, Monday9.AddHours(1).AddMinutes(5));
        await using var _ = engine;
        using var __ = automation;
        await Morning().IngestAsync(engine);
        var main = (await automation.Digests.WriteHourlyAsync(Monday9.AddHours(1).AddMinutes(5), CancellationToken.None)).Single(d => d.Agent == "main");

        // A stop after the digest row was written and before its copy was: no memory, no link.
        await engine.ForgetAsync([main.MemoryId!.Value], "test", scrubDerived: false, CancellationToken.None);
        await using (var connection = await engine.Records.OpenRecordConnectionAsync(CancellationToken.None))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"UPDATE digests SET memory_id = NULL WHERE id = {main.Id}";
            await command.ExecuteNonQueryAsync();
        }

        var written = await automation.Digests.WriteHourlyAsync(Monday9.AddHours(2).AddMinutes(5), CancellationToken.None);

        Assert.DoesNotContain(written, d => d.Id == main.Id);
        var completed = await automation.Digests.Store.GetAsync(main.Id, CancellationToken.None);
        var copy = Assert.Single(await engine.GetMemoriesAsync([completed!.MemoryId!.Value]));
        Assert.Equal("digest", copy.Role);
        Assert.Contains("BILL-4521", copy.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hourly_OneCitedDigestPerActiveAgent_QuietHoursSkipped_IdempotentAndSearchable()
    {
        using var dir = new TempDirectory();
        var (engine, automation) = await OpenAsync(dir, Monday9.AddHours(1).AddMinutes(5));
        await using var _ = engine;
        using var __ = automation;
        await Morning().IngestAsync(engine);

        var written = await automation.Digests.WriteHourlyAsync(Monday9.AddHours(1).AddMinutes(5), CancellationToken.None);
        var again = await automation.Digests.WriteHourlyAsync(Monday9.AddHours(1).AddMinutes(30), CancellationToken.None);

        Assert.Empty(again);
        Assert.Equal(["main", "travel"], written.Select(d => d.Agent).Order());
        Assert.All(written, d => Assert.Equal((Monday9, Monday9.AddHours(1)), (d.PeriodStart, d.PeriodEnd)));
        Assert.All(written, d => Assert.Equal("extractive", d.Method));
        var main = written.Single(d => d.Agent == "main");
        var mainIds = (await engine.Store.GetMemoriesBetweenAsync(Monday9, Monday9.AddHours(1), "main", 100, CancellationToken.None)).Select(m => m.Memory.Id).ToHashSet();
        Assert.All(main.Lines, l => Assert.Subset(mainIds, l.MemoryIds.ToHashSet()));
        Assert.All(main.Lines, l => Assert.NotEmpty(l.MemoryIds));
        Assert.Contains(main.Lines, l => l.Section == ExtractiveSummarizer.Decisions && l.Text.Contains("PostgreSQL 16", StringComparison.Ordinal));
        Assert.Contains(main.Lines, l => l.Section == ExtractiveSummarizer.OpenItems && l.Text.Contains("mnemo.dev", StringComparison.Ordinal));
        Assert.Contains(main.Lines, l => l.Text.Contains("BILL-4521", StringComparison.Ordinal));
        Assert.DoesNotContain(main.Lines, l => l.Text.Contains("TP1234", StringComparison.Ordinal));
        Assert.Contains("[m", main.Text, StringComparison.Ordinal);
        Assert.Contains("### Decisions", main.Text, StringComparison.Ordinal);

        var memory = Assert.Single(await engine.GetMemoriesAsync([main.MemoryId!.Value]));
        Assert.Equal("digest", memory.Role);
        Assert.Equal("main", memory.Agent);
        var hits = await engine.SearchAsync(new Mnemo.Search.SearchRequest("hourly summary billing PostgreSQL", 10, new Mnemo.Storage.MemoryFilter("main", Role: "digest")));
        Assert.Contains(hits, h => h.Memory.Id == main.MemoryId);
    }

    [Fact]
    public async Task Hourly_AfterDowntime_FillsTheMissedHours_ButNotTheQuietOnes()
    {
        using var dir = new TempDirectory();
        var (engine, automation) = await OpenAsync(dir, Monday9.AddHours(5));
        await using var _ = engine;
        using var __ = automation;
        await Morning().Say("main", "s2", "user", "Please also order new SSDs for the NAS.", Monday9.AddHours(2).AddMinutes(15)).IngestAsync(engine);

        var written = await automation.Digests.WriteHourlyAsync(Monday9.AddHours(5), CancellationToken.None);

        Assert.Equal([Monday9, Monday9, Monday9.AddHours(2)], written.Select(d => d.PeriodStart).Order());
        Assert.Contains("SSDs", written.Single(d => d.PeriodStart == Monday9.AddHours(2)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DailySync_AppendsToTheWorkspaceNoteExactlyOnce_AndProposesDurableFacts()
    {
        using var dir = new TempDirectory();
        var state = Directory.CreateDirectory(dir.File("openclaw")).FullName;
        var workspace = Directory.CreateDirectory(Path.Combine(state, "workspace", "memory")).Parent!.FullName;
        var note = Path.Combine(workspace, "memory", "2026-11-23.md");
        File.WriteAllText(note, "# Monday\n\nThe agent's own note.\n");
        var (engine, automation) = await OpenAsync(dir, Monday9.AddHours(12), state);
        await using var _ = engine;
        using var __ = automation;
        await Morning().IngestAsync(engine);
        await automation.Digests.WriteHourlyAsync(Monday9.AddHours(2), CancellationToken.None);

        // Twice by the job (the 21:00 occurrence and a catch-up), once by hand: one append.
        var first = await automation.Scheduler.RunNowAsync(JobNames.DailySync, CancellationToken.None);
        var second = await automation.Scheduler.RunNowAsync(JobNames.DailySync, CancellationToken.None);
        await automation.Digests.WriteDailyAsync(new DateOnly(2026, 11, 23), CancellationToken.None);

        Assert.True(first.Succeeded, first.Detail);
        Assert.True(second.Succeeded, second.Detail);
        var text = File.ReadAllText(note);
        Assert.StartsWith("# Monday\n\nThe agent's own note.\n", text, StringComparison.Ordinal);
        Assert.Equal(1, Count(text, WorkspaceNotes.Heading));
        Assert.Equal(1, Count(text, WorkspaceNotes.Marker("main", new DateOnly(2026, 11, 23))));
        Assert.Contains("PostgreSQL 16", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TP1234", text, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(state, "workspace-travel")));
        var facts = File.ReadAllText(Path.Combine(workspace, "memory", WorkspaceNotes.FactsFile));
        Assert.Contains("PostgreSQL 16", facts, StringComparison.Ordinal);
        var daily = await automation.Digests.Store.LatestAsync(DigestKind.Daily, null, 10, CancellationToken.None);
        Assert.Equal(["main", "travel"], daily.Select(d => d.Agent).Order());
    }

    [Theory]
    [InlineData("main", "workspace")]
    [InlineData("travel", "workspace-travel")]
    public void Workspace_IsWhereOpenClawKeepsIt(string agent, string expected)
    {
        using var dir = new TempDirectory();
        Assert.Equal(Path.Combine(dir.Path, expected), OpenClawWorkspace.Resolve(dir.Path, agent));
    }

    [Fact]
    public void Workspace_OfAConfiguredAgent_AndNeverOfAPathLikeAgentId()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("openclaw.json"), """
            { // OpenClaw's config is JSON5-ish
              "agents": { "defaults": { "workspace": "/srv/claw" }, "list": [ { "id": "home", "default": true }, { "id": "work", "workspace": "/srv/work-ws" }, ] }
            }
            """);

        Assert.Equal("/srv/claw", OpenClawWorkspace.Resolve(dir.Path, "home"));
        Assert.Equal("/srv/work-ws", OpenClawWorkspace.Resolve(dir.Path, "work"));
        Assert.Equal("/srv/claw/travel", OpenClawWorkspace.Resolve(dir.Path, "travel"));
        Assert.Throws<ArgumentException>(() => OpenClawWorkspace.Resolve(dir.Path, "x/../../../tmp"));
        Assert.False(OpenClawWorkspace.IsAgentId(".."));
    }

    [Fact]
    public async Task DailySync_ConsolidatesTheHourlyDigests()
    {
        using var dir = new TempDirectory();
        var (engine, automation) = await OpenAsync(dir, Monday9.AddHours(12));
        await using var _ = engine;
        using var __ = automation;
        await Morning().Say("main", "s2", "user", "We agreed to cap the cloud budget at $400 a month.", Monday9.AddHours(3)).IngestAsync(engine);
        var hourly = await automation.Digests.WriteHourlyAsync(Monday9.AddHours(5), CancellationToken.None);

        var daily = await automation.Digests.WriteDailyAsync(new DateOnly(2026, 11, 23), CancellationToken.None);

        var main = daily.Single(d => d.Agent == "main");
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero), main.PeriodStart);
        Assert.Contains(main.Lines, l => l.Text.Contains("PostgreSQL 16", StringComparison.Ordinal));
        Assert.Contains(main.Lines, l => l.Text.Contains("$400", StringComparison.Ordinal));
        var hourlyCited = hourly.Where(h => h.Agent == "main").SelectMany(h => h.Lines).SelectMany(l => l.MemoryIds).ToHashSet();
        Assert.True(main.Lines.SelectMany(l => l.MemoryIds).Count(hourlyCited.Contains) >= hourlyCited.Count / 2);
    }

    [Fact]
    public async Task Weekly_CoversAllAgents_WithThemesProgressAndActivity()
    {
        using var dir = new TempDirectory();
        var (engine, automation) = await OpenAsync(dir, new DateTimeOffset(2026, 11, 29, 22, 0, 0, TimeSpan.Zero));
        await using var _ = engine;
        using var __ = automation;
        var chat = Morning();
        for (var day = 1; day <= 3; day++)
        {
            chat.Say("main", $"d{day}", "user", $"Day {day} of the billing migration to PostgreSQL: the schema for invoices is being moved.", Monday9.AddDays(day))
                .Say("main", $"d{day}", "assistant", "The invoices schema migration to PostgreSQL continues, with checks on the billing tables.", Monday9.AddDays(day).AddMinutes(1));
        }

        await chat.IngestAsync(engine);

        var run = await automation.Scheduler.RunNowAsync(JobNames.WeeklySynthesis, CancellationToken.None);
        var weekly = Assert.Single(await automation.Digests.Store.LatestAsync(DigestKind.Weekly, null, 5, CancellationToken.None));

        Assert.True(run.Succeeded, run.Detail);
        Assert.Equal(Digest.AllAgents, weekly.Agent);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero), weekly.PeriodStart);
        Assert.Contains(weekly.Lines, l => l.Section == "Themes" && l.Text.Contains("main", StringComparison.Ordinal) && l.MemoryIds.Count > 0);
        Assert.Contains(weekly.Lines, l => l.Section == "Progress" && l.Text.Contains("TP1234", StringComparison.Ordinal));
        Assert.Contains(weekly.Lines, l => l.Section == "Activity" && l.Text.StartsWith("main:", StringComparison.Ordinal));
        Assert.Contains(weekly.Lines, l => l.Section == "Activity" && l.Text.StartsWith("travel:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Extractive_PrefersDiverseLines_OverRepeatsOfOneThread()
    {
        using var dir = new TempDirectory();
        var (engine, automation) = await OpenAsync(dir, Monday9.AddHours(2));
        await using var _ = engine;
        using var __ = automation;
        var chat = new Chat();
        for (var i = 0; i < 6; i++)
        {
            chat.Say("main", "s1", "user", $"We decided the logo stays blue, version {i}.", Monday9.AddMinutes(i));
        }

        await chat.Say("main", "s1", "user", "Please send the signed contract to Ana by email.", Monday9.AddMinutes(20)).IngestAsync(engine);
        var memories = await engine.Store.GetMemoriesBetweenAsync(Monday9, Monday9.AddHours(1), "main", 100, CancellationToken.None);

        var lines = ExtractiveSummarizer.Summarize(memories, 3, engine.Similarity);

        // Six wordings of one decision are one line; the other thread gets the next.
        Assert.Single(lines, l => l.Text.Contains("logo stays blue", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Text.Contains("signed contract", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count);
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
