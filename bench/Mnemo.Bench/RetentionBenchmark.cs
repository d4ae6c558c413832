using System.Globalization;
using Mnemo.Embeddings;
using Mnemo.Evaluation;

namespace Mnemo.Bench;

/// <summary>
/// Retained context after a compaction and after a new session, on a replayed LoCoMo-layout file:
/// the share of each question's evidence inside what <c>POST /v1/context</c> would prepend, beside
/// the hybrid search's best at the same budget (what shared/tools/retention_eval.py measures
/// through HTTP). The last <see cref="RetrievalBenchmark.HeldOut"/> conversations are reported
/// apart: they were kept out of tuning.
/// </summary>
internal static class RetentionBenchmark
{
    public static async Task<int> RunAsync(string path, string? dataDirectory, string? only, int? limit, int budget)
    {
        Console.WriteLine($"# Retained context on {Path.GetFileName(path)}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, budget {budget} tokens");
        var conversations = RetentionReplay.Load(path);
        var count = Math.Min(limit ?? conversations.Count, conversations.Count);
        var heldOutFrom = conversations.Count - RetrievalBenchmark.HeldOut;
        var scenarios = new[] { RetentionScenario.Compacted, RetentionScenario.NewSession }
            .Where(s => only is null || s.ToString().Contains(only, StringComparison.OrdinalIgnoreCase))
            .ToList();

        // A kept directory makes re-runs cheap while tuning: what is stored already is not embedded again.
        var directory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "mnemo-retention-" + Guid.NewGuid().ToString("N"));
        using var embedder = new LocalEmbeddingGenerator();
        try
        {
            // Settings as serve reads them (config.json in the directory, MNEMO_Retention__* and the like).
            var options = Mnemo.Server.Hosting.MnemoSettings.Load(directory).Memory;
            await using var engine = await MemoryEngine.OpenAsync(options, embedder, plugins: BenchPlugins.All);
            var rows = new List<string>();
            var categories = new List<string>();
            foreach (var scenario in scenarios)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var answers = new List<RetentionAnswer>();
                for (var i = 0; i < count; i++)
                {
                    await RetentionReplay.IngestAsync(engine, conversations[i], i, scenario, CancellationToken.None);
                    answers.AddRange(await RetentionReplay.AskAsync(engine, conversations[i], i, scenario, budget, CancellationToken.None));
                    Console.Error.WriteLine(Invariant($"{scenario} {conversations[i].Id}: {answers.Count} questions so far, {RetentionSummary.Of(answers).ContextRecall:F3} in context, {clock.Elapsed.TotalSeconds:F0} s"));
                }

                var splits = new (string Name, IReadOnlyList<RetentionAnswer> Answers)[]
                {
                    ("all", answers),
                    ("tuning", answers.Where(a => a.Conversation < heldOutFrom).ToList()),
                    ("held-out", answers.Where(a => a.Conversation >= heldOutFrom).ToList()),
                };
                foreach (var (split, part) in splits.Where(s => s.Answers.Count > 0))
                {
                    var s = RetentionSummary.Of(part);
                    string Cat(string name) => s.ByCategory.TryGetValue(name, out var c) ? Invariant($"{c.Context:F3} / {c.Search:F3}") : "-";
                    rows.Add(Invariant($"| {Name(scenario)} | {split} | {s.Questions} | **{s.ContextRecall:F3}** | {s.AnyEvidence:F3} | {s.SearchRecall:F3} | {s.MeanTokens:F0} | {s.MeanItems:F1} | {s.LinePrecision:F3} | {s.P50Ms:F1} / {s.P95Ms:F1} |"));
                    categories.Add(Invariant($"| {Name(scenario)} | {split} | {Cat("multi-hop")} | {Cat("temporal")} | {Cat("single-hop")} | {Cat("open-domain")} | {Cat("adversarial")} |"));
                }
            }

            Console.WriteLine();
            Console.WriteLine("| scenario | split | questions | evidence in context | questions with any evidence | search at the same budget | tokens (mean) | items (mean) | lines that are evidence | context p50 / p95 ms |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
            rows.ForEach(Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine("| scenario | split | multi-hop (context / search) | temporal | single-hop | open-domain | adversarial |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            categories.ForEach(Console.WriteLine);
            return 0;
        }
        finally
        {
            if (dataDirectory is null)
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static string Name(RetentionScenario scenario) => scenario == RetentionScenario.Compacted ? "compacted" : "new session";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
