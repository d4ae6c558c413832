using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using Mnemo.Datasets;
using Mnemo.Search;

namespace Mnemo.Evaluation;

/// <summary>
/// Runs a retrieval benchmark: each conversation goes into a fresh temporary store (no gold label
/// reaches it), every question with evidence is searched, and recall@k is the share of its
/// evidence items among the first k distinct items (turns, or sessions for LongMemEval).
/// </summary>
public sealed class RecallEvaluator(IEmbeddingGenerator<string, Embedding<float>> embedder, Func<string, MnemoOptions> optionsForDirectory)
{
    public async Task<EvalReport> RunAsync(string dataset, IReadOnlyList<EvalConversation> conversations, IReadOnlyList<int> ks, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        ArgumentNullException.ThrowIfNull(ks);
        var maxK = ks.Max();
        var sums = ks.ToDictionary(k => k, _ => 0.0);
        var categorySums = new Dictionary<string, Dictionary<int, double>>(StringComparer.Ordinal);
        var categoryCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var latencies = new List<double>();
        var ingest = TimeSpan.Zero;
        var questions = 0;
        var done = 0;
        foreach (var conversation in conversations)
        {
            var directory = Path.Combine(Path.GetTempPath(), "mnemo-eval-" + Guid.NewGuid().ToString("N"));
            try
            {
                await using var engine = await MemoryEngine.OpenAsync(optionsForDirectory(directory), embedder, cancellationToken: cancellationToken).ConfigureAwait(false);
                var clock = Stopwatch.StartNew();
                await engine.IngestTurnsAsync(conversation.Id, "eval", conversation.Turns, cancellationToken).ConfigureAwait(false);
                ingest += clock.Elapsed;
                foreach (var question in conversation.Questions)
                {
                    if (question.Evidence.Count == 0)
                    {
                        continue;
                    }

                    var k = question.EvidenceIsSession ? Math.Max(maxK * 20, 200) : maxK * 2;
                    clock.Restart();
                    var hits = await engine.SearchAsync(new SearchRequest(question.Question, k), cancellationToken).ConfigureAwait(false);
                    latencies.Add(clock.Elapsed.TotalMilliseconds);
                    var ranked = hits.Select(h => question.EvidenceIsSession ? h.Memory.Session : h.Memory.EntryId).Distinct(StringComparer.Ordinal).ToList();
                    questions++;
                    var category = LocomoDataset.CategoryNames.TryGetValue(question.Category, out var name) ? name : question.Category;
                    categoryCounts[category] = categoryCounts.GetValueOrDefault(category) + 1;
                    if (!categorySums.TryGetValue(category, out var perK))
                    {
                        perK = ks.ToDictionary(x => x, _ => 0.0);
                        categorySums[category] = perK;
                    }

                    foreach (var cut in ks)
                    {
                        var top = ranked.Take(cut).ToHashSet(StringComparer.Ordinal);
                        var recall = question.Evidence.Count(top.Contains) / (double)question.Evidence.Count;
                        sums[cut] += recall;
                        perK[cut] += recall;
                    }
                }
            }
            finally
            {
                TryDelete(directory);
            }

            progress?.Report((++done, conversations.Count));
        }

        latencies.Sort();
        string Key(int k) => k.ToString(CultureInfo.InvariantCulture);
        return new EvalReport(
            dataset,
            questions,
            ks.ToDictionary(Key, k => questions == 0 ? 0 : sums[k] / questions),
            categorySums.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(
                c => c.Key,
                c => (IReadOnlyDictionary<string, double>)ks.ToDictionary(Key, k => c.Value[k] / categoryCounts[c.Key])),
            categoryCounts,
            ingest.TotalSeconds,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95));
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
}
