using Mnemo.Evaluation;
using Mnemo.Tests.Support;
using Xunit.Abstractions;

namespace Mnemo.Tests.Retention;

/// <summary>
/// Retained context on a fixed piece of LoCoMo, replayed as bench --retention replays it: one
/// conversation as one long session, compacted down to its last turn, then each question as the
/// next prompt. Fails when the evidence brought back falls more than 0.03 below what was recorded
/// (docs/benchmarks.md has the whole benchmark).
/// </summary>
[Collection(EmbedderGroup.Name)]
public sealed class RetentionRegressionTests(EmbedderFixture embedder, ITestOutputHelper output)
{
    /// <summary>conv-30 (the second conversation, 105 questions), compacted, default budget: measured 2026-12-07.</summary>
    private const double Recorded = 0.876;

    private const int Conversation = 1;

    [Fact]
    public async Task Compacted_EvidenceInTheContext_StaysAtTheRecordedLevel()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder);
        var conversation = RetentionReplay.Load(SharedData.Locomo)[Conversation];

        await RetentionReplay.IngestAsync(engine, conversation, Conversation, RetentionScenario.Compacted, CancellationToken.None);
        var answers = await RetentionReplay.AskAsync(engine, conversation, Conversation, RetentionScenario.Compacted, 1200, CancellationToken.None);

        var summary = RetentionSummary.Of(answers);
        output.WriteLine(FormattableString.Invariant($"{conversation.Id} compacted: {summary.Questions} questions, evidence in context {summary.ContextRecall:F3} (recorded {Recorded:F3}), search at the same budget {summary.SearchRecall:F3}, {summary.MeanTokens:F0} tokens"));
        Assert.Equal(conversation.Questions.Count, summary.Questions);
        Assert.All(answers, a => Assert.True(a.Tokens <= 1200, $"{a.Tokens} tokens"));
        Assert.True(summary.ContextRecall >= Recorded - 0.03, FormattableString.Invariant($"evidence in the retained context fell to {summary.ContextRecall:F3}, recorded {Recorded:F3}"));
    }
}
