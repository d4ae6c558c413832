using Mnemo.Scheduling;
using Mnemo.Signals;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Signals;

/// <summary>Every cross-agent detector on crafted multi-agent conversations, each in a store of its own.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class SignalTests(EmbedderFixture embedder)
{
    /// <summary>Thursday 2026-11-26, 12:00 UTC.</summary>
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private async Task<IReadOnlyList<DetectedSignal>> DetectAsync(Chat chat)
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder);
        await chat.IngestAsync(engine);
        return await new SignalDetector(engine.Store, new SignalOptions(), TimeZoneInfo.Utc, engine.Similarity).DetectAsync(Now, CancellationToken.None);
    }

    [Fact]
    public async Task SharedTopic_TheSameSubjectInTwoAgents()
    {
        var signals = await DetectAsync(new Chat()
            .Say("main", "s1", "user", "We need to upgrade the Kubernetes cluster to version 1.31 this week.", Now.AddHours(-26))
            .Say("main", "s1", "assistant", "Before the Kubernetes cluster upgrade, drain the nodes one at a time.", Now.AddHours(-26).AddMinutes(1))
            .Say("work", "w1", "user", "The Kubernetes cluster upgrade to 1.31 is planned; check the node pools first.", Now.AddHours(-25))
            .Say("work", "w1", "assistant", "The node pools are ready for the Kubernetes upgrade.", Now.AddHours(-25).AddMinutes(1))
            .Say("home", "h1", "user", "Is the Kubernetes cluster in the basement still on?", Now.AddHours(-24).AddMinutes(30))
            .Say("travel", "t1", "user", "Book a table for two at the Italian place on Saturday.", Now.AddHours(-24))
            .Say("travel", "t1", "assistant", "A table for two on Saturday at 8 is booked.", Now.AddHours(-24).AddMinutes(1)));

        // The home agent mentions it once in passing: not a topic it is working on.
        var topic = Assert.Single(signals, s => s.Kind == SignalKinds.SharedTopic);
        Assert.Equal(["main", "work"], topic.Agents);
        Assert.Equal(4, topic.Evidence.Count);
        Assert.Contains("kubernetes", topic.Title, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RepeatedRequest_ThreeTimesWithoutResolution_ButNotOnceResolved()
    {
        var chat = new Chat();
        foreach (var agent in new[] { "main", "ops" })
        {
            chat.Say(agent, "r1", "user", "Can you send me the Q3 sales report?", Now.AddDays(-2))
                .Say(agent, "r1", "assistant", "I'm looking into it.", Now.AddDays(-2).AddMinutes(1))
                .Say(agent, "r2", "user", "Please send me the Q3 sales report.", Now.AddDays(-1))
                .Say(agent, "r2", "assistant", "Working on it.", Now.AddDays(-1).AddMinutes(1))
                .Say(agent, "r3", "user", "Could you send the Q3 sales report today?", Now.AddHours(-4));
        }

        chat.Say("ops", "r3", "assistant", "Here is the Q3 sales report, sent to your inbox.", Now.AddHours(-3));
        var signals = await DetectAsync(chat);

        var repeated = Assert.Single(signals, s => s.Kind == SignalKinds.RepeatedRequest);
        Assert.Equal(["main"], repeated.Agents);
        Assert.Equal(3, repeated.Evidence.Count);
        Assert.Equal("warning", repeated.Severity);
        Assert.Contains("3 times", repeated.Title, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deadlines_ComingDueAndJustOverdue_ButNotFarAway()
    {
        var signals = await DetectAsync(new Chat()
            .Say("main", "d1", "user", "I need to submit the tax return by Friday.", new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero))
            .Say("main", "d1", "user", "The lease renewal is due by December 20.", new DateTimeOffset(2026, 11, 25, 10, 5, 0, TimeSpan.Zero))
            .Say("home", "h1", "user", "Remember to pay the plumber's invoice by 2026-11-25.", new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero)));

        var deadlines = signals.Where(s => s.Kind == SignalKinds.Deadline).ToList();
        Assert.Equal(2, deadlines.Count);
        var tax = Assert.Single(deadlines, d => d.Title.Contains("tax return", StringComparison.Ordinal));
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 23, 59, 59, TimeSpan.Zero), tax.DueAt);
        Assert.Equal("info", tax.Severity);
        var invoice = Assert.Single(deadlines, d => d.Title.Contains("invoice", StringComparison.Ordinal));
        Assert.StartsWith("overdue", invoice.Title, StringComparison.Ordinal);
        Assert.Equal("warning", invoice.Severity);
        Assert.Equal(["home"], invoice.Agents);
    }

    [Fact]
    public async Task UnansweredQuestion_OnlyWhenNoReplyCameAndItIsNotFresh()
    {
        var signals = await DetectAsync(new Chat()
            .Say("main", "q1", "user", "What time does the pharmacy close on Sundays?", Now.AddHours(-2))
            .Say("main", "q2", "user", "Where did I put my passport?", Now.AddHours(-2))
            .Say("main", "q2", "assistant", "You said it is in the desk drawer.", Now.AddHours(-2).AddMinutes(1))
            .Say("main", "q3", "user", "Is the gym open tomorrow?", Now.AddMinutes(-10)));

        var question = Assert.Single(signals, s => s.Kind == SignalKinds.UnansweredQuestion);
        Assert.Contains("pharmacy", question.Title, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Frustration_ARunOfThreeNegativeTurns_ButNotTwoThenThanks()
    {
        var at = Now.AddHours(-5);
        var signals = await DetectAsync(new Chat()
            .Say("main", "f1", "user", "This is still broken, the export doesn't work.", at)
            .Say("main", "f1", "assistant", "Sorry, let me try again.", at.AddMinutes(1))
            .Say("main", "f1", "user", "Again wrong! I already told you the format.", at.AddMinutes(2))
            .Say("main", "f1", "assistant", "Here is another attempt.", at.AddMinutes(3))
            .Say("main", "f1", "user", "Ugh, this is useless, it still doesn't work!!", at.AddMinutes(4))
            .Say("work", "f2", "user", "The upload failed again.", at)
            .Say("work", "f2", "user", "Why does it keep failing?", at.AddMinutes(1))
            .Say("work", "f2", "user", "Thanks, that worked.", at.AddMinutes(2)));

        var frustration = Assert.Single(signals, s => s.Kind == SignalKinds.Frustration);
        Assert.Equal(["main"], frustration.Agents);
        Assert.Equal(3, frustration.Evidence.Count);
    }

    [Fact]
    public async Task Activity_ASpikeAndADropAgainstTheAgentsOwnAverage()
    {
        var chat = new Chat();
        for (var day = 14; day >= 2; day--)
        {
            for (var i = 0; i < 4; i++)
            {
                chat.Say("busy", $"b{day}", "user", $"Daily check-in number {i} on day {day}.", Now.AddDays(-day).AddMinutes(i));
            }

            for (var i = 0; i < 10; i++)
            {
                chat.Say("quiet", $"q{day}", "user", $"Routine log entry {i} of day {day}.", Now.AddDays(-day).AddMinutes(i));
            }
        }

        for (var i = 0; i < 40; i++)
        {
            chat.Say("busy", "today", "user", $"Incident update {i}: the database is still failing over.", Now.AddHours(-3).AddMinutes(i));
        }

        var signals = (await DetectAsync(chat)).Where(s => s.Kind == SignalKinds.Activity).ToList();

        Assert.Equal(2, signals.Count);
        Assert.Contains(signals, s => s.Agents.SequenceEqual(["busy"]) && s.Title.Contains("spike", StringComparison.Ordinal));
        Assert.Contains(signals, s => s.Agents.SequenceEqual(["quiet"]) && s.Title.Contains("drop", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SameFindingTwice_IsOneSignal_DeliveredOnce_AndListedAtTheJob()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder, o => o with { Schedule = new ScheduleOptions { TimeZone = "UTC" } });
        await new Chat().Say("main", "q1", "user", "What time does the pharmacy close on Sundays?", Now.AddHours(-2)).IngestAsync(engine);
        using var automation = Automation.Create(engine, null, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));

        var first = await automation.Signals.DetectAsync(Now, CancellationToken.None);
        var second = await automation.Signals.DetectAsync(Now.AddHours(2), CancellationToken.None);
        var run = await automation.Scheduler.RunNowAsync(JobNames.Signals, CancellationToken.None);
        var stored = await automation.Signals.Store.ListAsync(Now.AddDays(-1), null, null, 10, CancellationToken.None);

        Assert.Single(first);
        Assert.Empty(second);
        Assert.Equal("0 new signals, 0 items delivered", run.Detail);
        var signal = Assert.Single(stored);
        Assert.Equal(3, signal.Detections);
        Assert.Equal(Now, signal.FirstSeen);
    }
}
