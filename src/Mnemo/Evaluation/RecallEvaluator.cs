using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using Mnemo.Datasets;
using Mnemo.Embeddings;
using Mnemo.Search;

namespace Mnemo.Evaluation;

/// <summary>One way of ranking to measure over the same stores (an ablation line); null options: the store's configured ones.</summary>
public sealed record EvalVariant(string Name, SearchOptions? Search);

/// <summary>What one question got, for analysis of misses.</summary>
public sealed record EvalAnswer(string Variant, string Conversation, EvalQuestion Question, IReadOnlyList<string> Ranked);

/// <summary>
/// Runs a retrieval benchmark: each conversation goes into a fresh temporary store (no gold label
/// reaches it), every question with evidence is searched, and recall@k is the share of its
/// evidence items among the first k distinct items (turns, or sessions for LongMemEval).
/// Several ranking variants can be measured over one ingest; each question is embedded once.
/// </summary>
public sealed class RecallEvaluator(IEmbeddingGenerator<string, Embedding<float>> embedder, Func<string, MnemoOptions> optionsForDirectory)
{
    /// <summary>Measures the configured ranking.</summary>
    public async Task<EvalReport> RunAsync(string dataset, IReadOnlyList<EvalConversation> conversations, IReadOnlyList<int> ks, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var reports = await RunAsync(dataset, conversations, ks, [new EvalVariant("configured", null)], null, progress, cancellationToken).ConfigureAwait(false);
        return reports[0];
    }

    /// <summary>Measures each variant over the same stores; one report per variant, in order.</summary>
    public async Task<IReadOnlyList<EvalReport>> RunAsync(
        string dataset,
        IReadOnlyList<EvalConversation> conversations,
        IReadOnlyList<int> ks,
        IReadOnlyList<EvalVariant> variants,
        Action<EvalAnswer>? observe,
        IProgress<(int Done, int Total)>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        ArgumentNullException.ThrowIfNull(ks);
        ArgumentNullException.ThrowIfNull(variants);
        var maxK = ks.Max();
        var tallies = variants.Select(_ => new Tally(ks)).ToArray();
        var ingest = TimeSpan.Zero;
        var done = 0;
        foreach (var conversation in conversations)
        {
            var directory = Path.Combine(Path.GetTempPath(), "mnemo-eval-" + Guid.NewGuid().ToString("N"));
            try
            {
                var options = optionsForDirectory(directory);
                await using var engine = await MemoryEngine.OpenAsync(options, embedder, cancellationToken: cancellationToken).ConfigureAwait(false);
                var clock = Stopwatch.StartNew();
                await engine.IngestTurnsAsync(conversation.Id, "eval", conversation.Turns, cancellationToken).ConfigureAwait(false);
                ingest += clock.Elapsed;
                var searchers = variants.Select(v => new HybridSearcher(engine.Store, engine.Index, embedder, v.Search ?? options.Search, TimeProvider.System)).ToArray();
                foreach (var question in conversation.Questions)
                {
                    if (question.Evidence.Count == 0)
                    {
                        continue;
                    }

                    clock.Restart();
                    var embedded = await embedder.GenerateAsync([question.Question], EmbeddingInput.Query, cancellationToken).ConfigureAwait(false);
                    var vector = embedded[0].Vector.ToArray();
                    VectorMath.NormalizeInPlace(vector);
                    var embedding = clock.Elapsed.TotalMilliseconds;
                    var k = question.EvidenceIsSession ? Math.Max(maxK * 20, 200) : maxK * 2;
                    var request = new SearchRequest(question.Question, k) { At = question.At };
                    for (var v = 0; v < variants.Count; v++)
                    {
                        clock.Restart();
                        var hits = await searchers[v].SearchAsync(request, vector, cancellationToken).ConfigureAwait(false);
                        var search = clock.Elapsed.TotalMilliseconds;
                        var ranked = hits.Select(h => question.EvidenceIsSession ? h.Memory.Session : h.Memory.EntryId).Distinct(StringComparer.Ordinal).ToList();
                        tallies[v].Add(question, ranked, search, embedding);
                        observe?.Invoke(new EvalAnswer(variants[v].Name, conversation.Id, question, ranked));
                    }
                }
            }
            finally
            {
                TryDelete(directory);
            }

            progress?.Report((++done, conversations.Count));
        }

        return tallies.Select(t => t.Report(dataset, ingest)).ToList();
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(p * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
    }

    /// <summary>Recall sums and latencies of one variant.</summary>
    private sealed class Tally(IReadOnlyList<int> ks)
    {
        private readonly Dictionary<int, double> _sums = ks.ToDictionary(k => k, _ => 0.0);
        private readonly Dictionary<string, Dictionary<int, double>> _categorySums = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _categoryCounts = new(StringComparer.Ordinal);
        private readonly List<double> _search = [];
        private readonly List<double> _total = [];
        private int _questions;

        public void Add(EvalQuestion question, List<string> ranked, double searchMs, double embeddingMs)
        {
            _search.Add(searchMs);
            _total.Add(searchMs + embeddingMs);
            _questions++;
            var category = LocomoDataset.CategoryNames.TryGetValue(question.Category, out var name) ? name : question.Category;
            _categoryCounts[category] = _categoryCounts.GetValueOrDefault(category) + 1;
            if (!_categorySums.TryGetValue(category, out var perK))
            {
                perK = ks.ToDictionary(x => x, _ => 0.0);
                _categorySums[category] = perK;
            }

            foreach (var cut in ks)
            {
                var top = ranked.Take(cut).ToHashSet(StringComparer.Ordinal);
                var recall = question.Evidence.Count(top.Contains) / (double)question.Evidence.Count;
                _sums[cut] += recall;
                perK[cut] += recall;
            }
        }

        public EvalReport Report(string dataset, TimeSpan ingest)
        {
            _search.Sort();
            _total.Sort();
            string Key(int k) => k.ToString(CultureInfo.InvariantCulture);
            return new EvalReport(
                dataset,
                _questions,
                ks.ToDictionary(Key, k => _questions == 0 ? 0 : _sums[k] / _questions),
                _categorySums.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(
                    c => c.Key,
                    c => (IReadOnlyDictionary<string, double>)ks.ToDictionary(Key, k => c.Value[k] / _categoryCounts[c.Key])),
                _categoryCounts,
                ingest.TotalSeconds,
                Percentile(_total, 0.50),
                Percentile(_total, 0.95))
            {
                SearchP50Ms = Percentile(_search, 0.50),
                SearchP95Ms = Percentile(_search, 0.95),
            };
        }
    }
}
