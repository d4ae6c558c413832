using Mnemo.Search;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Search;

[Collection(EmbedderGroup.Name)]
public sealed class RankingTests(EmbedderFixture embedder)
{
    [Fact]
    public async Task Diversify_NearDuplicates_MakeRoomForADifferentRelevantTurn()
    {
        using var dir = new TempDirectory();
        var log = dir.File("chat.jsonl");
        await File.WriteAllLinesAsync(log,
        [
            Line("a", "The boat trip to the island is booked for Saturday morning."),
            Line("b", "The boat trip to the island is booked for Saturday morning."),
            Line("c", "The boat trip to the island is booked for Saturday morning."),
            Line("d", "For the island trip, pack sunscreen and the blue cooler."),
            Line("e", "The printer on the second floor is out of toner."),
        ]);
        await using var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder);
        await engine.IngestAsync([log]);

        var plain = await engine.SearchAsync(new SearchRequest("boat trip to the island", 3));
        var diverse = await engine.SearchAsync(new SearchRequest("boat trip to the island", 3, Diversify: true));

        Assert.All(plain, h => Assert.StartsWith("The boat trip", h.Memory.Text, StringComparison.Ordinal));
        Assert.Contains(diverse.Take(2), h => h.Memory.Text.StartsWith("For the island trip", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Recency_BreaksTiesButNeverBuriesAnOldAnswer()
    {
        using var dir = new TempDirectory();
        var log = dir.File("chat.jsonl");
        var now = DateTimeOffset.UtcNow;
        await File.WriteAllLinesAsync(log,
        [
            Line("old", "My locker combination is 4417.", now.AddYears(-3)),
            Line("tie-old", "We should water the ferns every Tuesday.", now.AddYears(-2)),
            Line("tie-new", "We should water the ferns every Tuesday.", now.AddDays(-1)),
            Line("recent", "I bought a new lock for the gym bag yesterday.", now.AddHours(-2)),
        ]);
        await using var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder);
        await engine.IngestAsync([log]);

        var tie = await engine.SearchAsync(new SearchRequest("when do we water the ferns", 2, Recency: true));
        var answer = await engine.SearchAsync(new SearchRequest("what is my locker combination", 1, Recency: true));

        Assert.Equal("tie-new", tie[0].Memory.EntryId);
        Assert.True(tie[0].Scores.Recency > tie[1].Scores.Recency);
        Assert.Equal("old", answer[0].Memory.EntryId);
    }

    [Fact]
    public async Task TimeWindow_ADateInTheQuestion_PrefersWhatWasSaidThen()
    {
        using var dir = new TempDirectory();
        var june = new DateTimeOffset(2023, 6, 3, 19, 0, 0, TimeSpan.Zero);
        await using var engine = await StoreOfAsync(
            dir,
            Said("s1", "a", "Mia", "We tried the new ramen place downtown, it was good.", june.AddMonths(-3)),
            Said("s2", "b", "Mia", "We tried the new ramen place downtown, it was good.", june),
            Said("s3", "c", "Mia", "The bus was late again this morning.", june.AddMonths(2)));

        var dated = await engine.SearchAsync(new SearchRequest("Where did Mia eat on 3 June, 2023?", 2));
        var plain = await engine.SearchAsync(new SearchRequest("Where did Mia eat?", 2));
        var off = new Mnemo.Search.HybridSearcher(engine.Store, engine.Index, embedder.Embedder, new SearchOptions { TimeWeight = 0 }, TimeProvider.System);
        var withoutWindows = await off.SearchAsync(new SearchRequest("Where did Mia eat on 3 June, 2023?", 2), CancellationToken.None);

        Assert.Equal("b", dated[0].Memory.EntryId);
        Assert.True(dated[0].Scores.Time > 0);
        Assert.Equal(0, dated[1].Scores.Time);
        Assert.All(plain, h => Assert.Equal(0, h.Scores.Time));
        Assert.All(withoutWindows, h => Assert.Equal(0, h.Scores.Time));
    }

    [Fact]
    public async Task TimeWindow_RelativeDates_CountBackFromWhenTheQuestionIsAsked()
    {
        using var dir = new TempDirectory();
        var asked = new DateTimeOffset(2024, 3, 20, 12, 0, 0, TimeSpan.Zero);
        await using var engine = await StoreOfAsync(
            dir,
            Said("s1", "old", "Lee", "I fixed the bike's brakes in the garage.", asked.AddDays(-60)),
            Said("s2", "new", "Lee", "I fixed the bike's brakes in the garage.", asked.AddDays(-1)));

        var yesterday = await engine.SearchAsync(new SearchRequest("what did I fix yesterday", 2) { At = asked });
        var twoMonths = await engine.SearchAsync(new SearchRequest("what did I fix two months ago", 2) { At = asked });

        Assert.Equal("new", yesterday[0].Memory.EntryId);
        Assert.Equal("old", twoMonths[0].Memory.EntryId);
    }

    [Fact]
    public async Task NamedSpeaker_IsPreferredOverSomeoneElseSayingTheSame()
    {
        using var dir = new TempDirectory();
        var at = new DateTimeOffset(2023, 5, 1, 10, 0, 0, TimeSpan.Zero);
        await using var engine = await StoreOfAsync(
            dir,
            Said("s1", "ben", "Ben", "I started a pottery class last month, it is so relaxing.", at),
            Said("s2", "anna", "Anna", "I started a pottery class last month, it is so relaxing.", at.AddDays(7)));

        var anna = await engine.SearchAsync(new SearchRequest("What class did Anna start?", 2));
        var ben = await engine.SearchAsync(new SearchRequest("What class did Ben start?", 2));

        Assert.Equal("anna", anna[0].Memory.EntryId);
        Assert.Equal("ben", ben[0].Memory.EntryId);
        Assert.True(anna[0].Scores.Weight > anna[1].Scores.Weight);
    }

    [Fact]
    public async Task WhenQuestion_PrefersTheTurnThatSaysWhen()
    {
        using var dir = new TempDirectory();
        var at = new DateTimeOffset(2023, 5, 1, 10, 0, 0, TimeSpan.Zero);
        await using var engine = await StoreOfAsync(
            dir,
            Said("s1", "plain", "Sam", "I adopted a rescue cat named Pixel.", at),
            Said("s2", "dated", "Sam", "I adopted a rescue cat named Pixel two weeks ago.", at.AddDays(3)));

        var when = await engine.SearchAsync(new SearchRequest("When did Sam adopt Pixel?", 2));
        var what = await engine.SearchAsync(new SearchRequest("What is the name of Sam's cat?", 2));

        Assert.Equal("dated", when[0].Memory.EntryId);
        Assert.True(when[0].Scores.Weight > when[1].Scores.Weight);
        Assert.Equal(what[0].Scores.Weight, what[1].Scores.Weight);
    }

    private async Task<MemoryEngine> StoreOfAsync(TempDirectory dir, params Mnemo.Domain.Turn[] turns)
    {
        var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder);
        await engine.IngestTurnsAsync("test", "test", turns);
        return engine;
    }

    private static Mnemo.Domain.Turn Said(string session, string id, string speaker, string text, DateTimeOffset at) =>
        new("friends", session, id, null, "user", text, at, "test", at.ToUnixTimeSeconds(), new Mnemo.Domain.TurnProvenance(Speaker: speaker));

    private static string Line(string id, string text, DateTimeOffset? at = null) =>
        $"{{\"id\":\"{id}\",\"role\":\"user\",\"content\":\"{text}\",\"session\":\"s-{id}\",\"timestamp\":\"{(at ?? DateTimeOffset.UtcNow).ToString("O", System.Globalization.CultureInfo.InvariantCulture)}\"}}";
}
