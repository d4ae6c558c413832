using Mnemo.Datasets;
using Mnemo.Domain;
using Mnemo.Evaluation;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Evaluation;

[Collection(EmbedderGroup.Name)]
public sealed class RecallEvaluatorTests(EmbedderFixture embedder)
{
    [Fact]
    public async Task RunAsync_TurnEvidence_CountsTheShareOfEvidenceInTheTopK()
    {
        using var dir = new TempDirectory();
        var turns = new List<Turn>
        {
            T("D1:1", "I adopted a grey cat named Pixel last spring."),
            T("D1:2", "The weather was rainy all week."),
            T("D1:3", "My sister lives in Lisbon and teaches violin."),
            T("D1:4", "We painted the kitchen yellow."),
        };
        var questions = new List<EvalQuestion>
        {
            new("q1", "What is the name of my cat?", "4", ["D1:1"], false),
            new("q2", "Where does my sister live and what does she teach?", "1", ["D1:3", "D9:9"], false),
            new("q3", "A question without evidence", "5", [], false),
        };
        var stores = new List<string>();
        var evaluator = new RecallEvaluator(embedder.Embedder, d =>
        {
            stores.Add(d);
            return new MnemoOptions { DataDirectory = d };
        });

        var report = await evaluator.RunAsync("synthetic", [new EvalConversation("c1", turns, questions)], [1, 10], null, CancellationToken.None);

        Assert.Equal(2, report.Questions);
        Assert.Equal(1.0, report.ByCategory["single-hop"]["1"]);
        Assert.Equal(0.5, report.ByCategory["multi-hop"]["10"]);
        Assert.Equal(0.75, report.Recall["10"]);
        Assert.True(report.QueryP95Ms >= report.QueryP50Ms);
        Assert.False(Directory.Exists(Assert.Single(stores)), "the temporary store is removed");
    }

    [Fact]
    public async Task RunAsync_SeveralVariants_ShareOneIngestAndReportEach()
    {
        var turns = new List<Turn>
        {
            T("D1:1", "I adopted a grey cat named Pixel last spring."),
            T("D1:2", "The weather was rainy all week."),
            T("D1:3", "My sister lives in Lisbon and teaches violin."),
        };
        var questions = new List<EvalQuestion> { new("q1", "Which feline joined the household?", "4", ["D1:1"], false) };
        var stores = new List<string>();
        var answers = new List<EvalAnswer>();
        var evaluator = new RecallEvaluator(embedder.Embedder, d =>
        {
            stores.Add(d);
            return new MnemoOptions { DataDirectory = d };
        });
        Mnemo.Search.SearchOptions defaults = new();

        var reports = await evaluator.RunAsync(
            "synthetic",
            [new EvalConversation("c1", turns, questions)],
            [1],
            [new EvalVariant("dense", defaults with { TextWeight = 0, VectorWeight = 1 }), new EvalVariant("words", defaults with { TextWeight = 1, VectorWeight = 0, NeighbourWeight = 0 })],
            answers.Add,
            null,
            CancellationToken.None);

        Assert.Single(stores);
        Assert.Equal(2, reports.Count);
        Assert.Equal(["dense", "words"], answers.Select(a => a.Variant));
        Assert.Equal("D1:1", answers[0].Ranked[0]);
        Assert.Equal(1.0, reports[0].Recall["1"]);
        Assert.True(reports[0].SearchP95Ms <= reports[0].QueryP95Ms);
    }

    private static Turn T(string id, string text) =>
        new("conv", "session_1", id, null, "user", text, DateTimeOffset.UnixEpoch, "test", long.Parse(id[3..], System.Globalization.CultureInfo.InvariantCulture), TurnProvenance.Default);
}
