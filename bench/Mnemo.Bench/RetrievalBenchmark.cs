using System.Globalization;
using System.Text.Json;
using Mnemo.Datasets;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Evaluation;
using Mnemo.Ingest;
using Mnemo.Search;

namespace Mnemo.Bench;

/// <summary>
/// The retrieval ablation of docs/benchmarks.md: every technique on and off, on LoCoMo's tuning
/// conversations and on the ones held out from tuning, each store ingested once per index setting
/// and searched once per ranking setting.
/// </summary>
internal static class RetrievalBenchmark
{
    /// <summary>LoCoMo conversations never looked at while tuning: the last three of the file.</summary>
    public const int HeldOut = 3;

    /// <summary>An index setting: which model embeds, and what goes into each memory's keys.</summary>
    private sealed record IndexSetting(LocalEmbeddingModel Model, ChunkingOptions Chunking);

    public static async Task<int> RunAsync(string locomoPath, string? only, string? dump)
    {
        Console.WriteLine($"# Retrieval ablation, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        var issues = new List<ReadIssue>();
        var all = LocomoDataset.Load(locomoPath, null, issues);
        var splits = new (string Name, IReadOnlyList<EvalConversation> Conversations)[]
        {
            ("tuning", all.Take(all.Count - HeldOut).ToList()),
            ("held-out", all.Skip(all.Count - HeldOut).ToList()),
        };
        var defaults = new SearchOptions();
        var chunking = new ChunkingOptions();
        var settings = new List<(IndexSetting Index, IReadOnlyList<EvalVariant> Variants)>
        {
            (new IndexSetting(LocalEmbeddingModel.Default, chunking), Variants(defaults)),
            (new IndexSetting(LocalEmbeddingModel.MiniLm, chunking), [new EvalVariant("MiniLM instead of arctic-embed-xs", defaults), new EvalVariant("MiniLM, ranking before this work (the first release)", Before(defaults))]),
            (new IndexSetting(LocalEmbeddingModel.Default, chunking with { ContextChars = 0 }), [new EvalVariant("no previous turn in the embedded text", defaults)]),
        };
        if (only is not null)
        {
            // While tuning: only the default index, only the variants whose name holds the text.
            settings = settings.Take(1).Select(s => (s.Index, (IReadOnlyList<EvalVariant>)s.Variants.Where(v => v.Name.Contains(only, StringComparison.OrdinalIgnoreCase) || v.Name == "defaults").ToList())).ToList();
        }

        await using var dumpFile = dump is null ? null : new StreamWriter(dump);
        Console.WriteLine();
        Console.WriteLine("| configuration | split | @1 | @5 | @10 | @50 | multi-hop @10 | temporal @10 | single-hop @10 | search p50 / p95 ms | ingest turns/s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (index, variants) in settings)
        {
            using var embedder = new LocalEmbeddingGenerator(index.Model);
            var evaluator = new RecallEvaluator(embedder, directory => new MnemoOptions { DataDirectory = directory, Chunking = index.Chunking, Embeddings = new EmbeddingOptions { Provider = index.Model.Name } });
            var bySplit = new List<(string Split, IReadOnlyList<EvalReport> Reports, int Turns)>();
            foreach (var (split, conversations) in splits)
            {
                var reports = await evaluator.RunAsync(
                    "locomo10",
                    conversations,
                    [1, 5, 10, 50],
                    variants,
                    dumpFile is null ? null : answer => dumpFile.WriteLine(JsonSerializer.Serialize(new { answer.Variant, split, answer.Question.Id, answer.Question.Category, answer.Question.Question, answer.Question.Evidence, Top = answer.Ranked.Take(10) })),
                    null,
                    CancellationToken.None);
                bySplit.Add((split, reports, conversations.Sum(c => c.Turns.Count)));
            }

            var allTurns = bySplit.Sum(s => s.Turns);
            bySplit.Add(("all", bySplit[0].Reports.Zip(bySplit[1].Reports, Merge).ToList(), allTurns));
            for (var i = 0; i < variants.Count; i++)
            {
                foreach (var (split, reports, turns) in bySplit)
                {
                    var r = reports[i];
                    string Cat(string name) => r.ByCategory.TryGetValue(name, out var c) ? F(c["10"]) : "-";
                    Console.WriteLine($"| {variants[i].Name} | {split} | {F(r.Recall["1"])} | {F(r.Recall["5"])} | {F(r.Recall["10"])} | {F(r.Recall["50"])} | {Cat("multi-hop")} | {Cat("temporal")} | {Cat("single-hop")} | {r.SearchP50Ms:F1} / {r.SearchP95Ms:F1} | {turns / r.IngestSeconds:F0} |");
                }
            }
        }

        return 0;
    }

    /// <summary>The ranking settings measured on the default index: each technique taken away, or the ones that did not pay added.</summary>
    private static IReadOnlyList<EvalVariant> Variants(SearchOptions defaults) =>
    [
        new("defaults", defaults),
        new("arctic-embed-xs, ranking before this work", Before(defaults)),
        new("BM25 alone", defaults with { VectorWeight = 0, NeighbourWeight = 0, QuestionWeight = 1, TimeWeight = 0, WhenWeight = 1, SpeakerWeight = 1 }),
        new("dense alone", defaults with { TextWeight = 0, VectorWeight = 1, NeighbourWeight = 0, QuestionWeight = 1, TimeWeight = 0, WhenWeight = 1, SpeakerWeight = 1 }),
        new("no neighbour propagation", defaults with { NeighbourWeight = 0 }),
        new("no question demotion", defaults with { QuestionWeight = 1 }),
        new("no time windows from the query", defaults with { TimeWeight = 0 }),
        new("no when-question boost", defaults with { WhenWeight = 1 }),
        new("no named-speaker boost", defaults with { SpeakerWeight = 1 }),
        new("+ pseudo-relevance feedback 0.1 (off: no gain)", defaults with { FeedbackWeight = 0.1 }),
        new("+ session spread 0.1 (off: worse)", defaults with { SessionSpread = 0.1 }),
    ];

    /// <summary>Ranking as it was before time windows, the when-question and the named-speaker boosts.</summary>
    private static SearchOptions Before(SearchOptions defaults) => defaults with { TimeWeight = 0, WhenWeight = 1, SpeakerWeight = 1 };

    /// <summary>One report over both splits: recall weighted by each split's questions.</summary>
    private static EvalReport Merge(EvalReport a, EvalReport b)
    {
        var total = a.Questions + b.Questions;
        var categories = a.CategoryQuestions.Keys.Union(b.CategoryQuestions.Keys).ToList();
        int Count(EvalReport r, string c) => r.CategoryQuestions.GetValueOrDefault(c);
        double At(EvalReport r, string c, string k) => r.ByCategory.TryGetValue(c, out var v) ? v[k] * Count(r, c) : 0;
        return new EvalReport(
            a.Dataset,
            total,
            a.Recall.ToDictionary(kv => kv.Key, kv => ((kv.Value * a.Questions) + (b.Recall[kv.Key] * b.Questions)) / total),
            categories.ToDictionary(c => c, c => (IReadOnlyDictionary<string, double>)a.Recall.Keys.ToDictionary(k => k, k => (At(a, c, k) + At(b, c, k)) / (Count(a, c) + Count(b, c)))),
            categories.ToDictionary(c => c, c => Count(a, c) + Count(b, c)),
            a.IngestSeconds + b.IngestSeconds,
            Math.Max(a.QueryP50Ms, b.QueryP50Ms),
            Math.Max(a.QueryP95Ms, b.QueryP95Ms))
        {
            SearchP50Ms = Math.Max(a.SearchP50Ms, b.SearchP50Ms),
            SearchP95Ms = Math.Max(a.SearchP95Ms, b.SearchP95Ms),
        };
    }

    private static string F(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
}
