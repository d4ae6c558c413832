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

    private static string Line(string id, string text, DateTimeOffset? at = null) =>
        $"{{\"id\":\"{id}\",\"role\":\"user\",\"content\":\"{text}\",\"session\":\"s-{id}\",\"timestamp\":\"{(at ?? DateTimeOffset.UtcNow).ToString("O", System.Globalization.CultureInfo.InvariantCulture)}\"}}";
}
