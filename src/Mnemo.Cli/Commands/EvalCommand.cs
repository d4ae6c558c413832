using System.CommandLine;
using System.Globalization;
using Mnemo.Datasets;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Evaluation;
using Mnemo.Readers;

namespace Mnemo.Cli.Commands;

/// <summary><c>mnemo eval &lt;dataset&gt; [--format locomo|longmemeval] [--k 1,5,10,25,50] [--json]</c></summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = "LoCoMo or LongMemEval JSON file" };
        var format = new Option<string>("--format") { Description = "Dataset format (default: detected)", DefaultValueFactory = _ => "auto" };
        format.AcceptOnlyFromAmong("auto", "locomo", "longmemeval");
        var ks = new Option<string>("--k") { Description = "Cut-offs for recall@k, comma-separated", DefaultValueFactory = _ => "1,5,10,25,50" };
        var limit = new Option<int?>("--limit") { Description = "Only the first N conversations (LoCoMo) or questions (LongMemEval)" };
        var textWeight = new Option<double?>("--text-weight") { Description = "Ablation: weight of BM25 in the fused score" };
        var vectorWeight = new Option<double?>("--vector-weight") { Description = "Ablation: weight of vector similarity in the fused score" };
        var neighbourWeight = new Option<double?>("--neighbour-weight") { Description = "Ablation: share of a neighbouring turn's score a turn receives" };
        var questionWeight = new Option<double?>("--question-weight") { Description = "Ablation: score multiplier for memories that are questions" };
        var contextChars = new Option<int?>("--context-chars") { Description = "Ablation: characters of the previous turn embedded with each turn" };
        var timeWeight = new Option<double?>("--time-weight") { Description = "Ablation: bonus for memories within a span of time the question names (0: off)" };
        var whenWeight = new Option<double?>("--when-weight") { Description = "Ablation: multiplier, for when-questions, of memories that say when (1: off)" };
        var speakerWeight = new Option<double?>("--speaker-weight") { Description = "Ablation: multiplier for memories spoken by someone the question names (1: off)" };
        var command = new Command("eval", "Measure retrieval recall on a benchmark, each conversation in a fresh temporary store")
        {
            dataset, format, ks, limit, textWeight, vectorWeight, neighbourWeight, questionWeight, contextChars, timeWeight, whenWeight, speakerWeight,
        };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var path = parse.GetValue(dataset)!;
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{path}: no such file", path);
            }

            var cuts = ParseCuts(parse.GetValue(ks)!);
            var kind = parse.GetValue(format)!;
            if (kind == "auto")
            {
                var detected = SourceDiscovery.Detect(Path.GetFullPath(path));
                kind = detected is "locomo" or "longmemeval"
                    ? detected
                    : throw new ArgumentException($"{path}: cannot tell whether this is LoCoMo or LongMemEval; pass --format");
            }

            var issues = new List<ReadIssue>();
            var conversations = kind == "locomo" ? LocomoDataset.Load(path, null, issues) : LongMemEvalDataset.Load(path, issues);
            if (parse.GetValue(limit) is { } n)
            {
                conversations = conversations.Take(n).ToList();
            }

            foreach (var issue in issues)
            {
                await Console.Error.WriteLineAsync($"skipped: {issue}").ConfigureAwait(false);
            }

            using var embedder = MemoryEngine.CreateEmbedder(EmbeddingOptions.FromEnvironment(), localModels: OnnxEmbeddings.Create);
            var options = context.Options();
            options = options with
            {
                Search = options.Search with
                {
                    TextWeight = parse.GetValue(textWeight) ?? options.Search.TextWeight,
                    VectorWeight = parse.GetValue(vectorWeight) ?? options.Search.VectorWeight,
                    NeighbourWeight = parse.GetValue(neighbourWeight) ?? options.Search.NeighbourWeight,
                    QuestionWeight = parse.GetValue(questionWeight) ?? options.Search.QuestionWeight,
                    TimeWeight = parse.GetValue(timeWeight) ?? options.Search.TimeWeight,
                    WhenWeight = parse.GetValue(whenWeight) ?? options.Search.WhenWeight,
                    SpeakerWeight = parse.GetValue(speakerWeight) ?? options.Search.SpeakerWeight,
                },
                Chunking = options.Chunking with { ContextChars = parse.GetValue(contextChars) ?? options.Chunking.ContextChars },
            };
            var evaluator = new RecallEvaluator(embedder, directory => options with { DataDirectory = directory });
            var progress = context.Json || Console.IsErrorRedirected ? null : new Progress<(int Done, int Total)>(p => Console.Error.Write($"\r{p.Done}/{p.Total} conversations"));
            var report = await evaluator.RunAsync(Path.GetFileName(path), conversations, cuts, progress, cancellationToken).ConfigureAwait(false);
            if (progress is not null)
            {
                await Console.Error.WriteLineAsync().ConfigureAwait(false);
            }

            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(report));
                return ExitCodes.Ok;
            }

            Console.WriteLine(FormattableString.Invariant($"{report.Dataset}: {report.Questions} questions with evidence"));
            foreach (var (k, recall) in report.Recall)
            {
                Console.WriteLine(FormattableString.Invariant($"recall@{k,-3} {recall:F3}"));
            }

            foreach (var (category, recalls) in report.ByCategory)
            {
                Console.WriteLine(FormattableString.Invariant($"{category,-22} n={report.CategoryQuestions[category],-5} ") + string.Join("  ", recalls.Select(r => FormattableString.Invariant($"@{r.Key}={r.Value:F3}"))));
            }

            Console.WriteLine(FormattableString.Invariant($"ingest {report.IngestSeconds:F1} s, query p50 {report.QueryP50Ms:F1} ms, p95 {report.QueryP95Ms:F1} ms (search alone p50 {report.SearchP50Ms:F1} ms, p95 {report.SearchP95Ms:F1} ms)"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static int[] ParseCuts(string text)
    {
        var cuts = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var k) || k < 1 || k > 1000)
            {
                throw new ArgumentException($"--k: '{part}' is not a cut-off between 1 and 1000");
            }

            cuts.Add(k);
        }

        return cuts.Count > 0 ? [.. cuts.Distinct().Order()] : throw new ArgumentException("--k needs at least one cut-off");
    }
}
