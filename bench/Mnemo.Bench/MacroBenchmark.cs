using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using Mnemo.Datasets;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Evaluation;
using Mnemo.Indexing;
using Mnemo.Ingest;
using Mnemo.Search;
using Mnemo.Storage;

namespace Mnemo.Bench;

internal static class MacroBenchmark
{
    public static async Task<int> RunAsync(string locomoPath, bool quick, int[]? sizes = null, bool contextOnly = false, bool digestsOnly = false, bool searchOnly = false, bool ingestOnly = false)
    {
        Console.WriteLine($"# Mnemo macro benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        var issues = new List<ReadIssue>();
        var conversations = LocomoDataset.Load(locomoPath, null, issues);
        var turns = conversations.SelectMany(c => c.Turns).ToList();
        var questions = conversations.SelectMany(c => c.Questions).Select(q => q.Question).ToList();
        using var embedder = new LocalEmbeddingGenerator();
        if (digestsOnly)
        {
            await DigestBenchmark.RunAsync(quick ? turns.Take(1000).ToList() : turns, embedder);
            return 0;
        }

        if (sizes is null && !contextOnly && !searchOnly)
        {
            await IngestAgainstModelAsync(embedder, turns.Take(quick ? 500 : 2000).ToList());
        }

        if (ingestOnly)
        {
            return 0;
        }

        // Real embeddings of real turns, then perturbed copies up to the store size: a realistic
        // spread of vectors without embedding 100k texts first.
        var seedTurns = turns.Take(quick ? 500 : 2000).ToList();
        var seedVectors = (await embedder.GenerateAsync(seedTurns.Select(t => t.Text).ToList())).Select(e => e.Vector.ToArray()).ToList();
        var queryTexts = questions.Take(quick ? 50 : 200).ToList();
        var queryVectors = (await embedder.GenerateAsync(queryTexts, EmbeddingInput.Query)).Select(e => e.Vector.ToArray()).ToList();
        if (!contextOnly)
        {
            foreach (var size in sizes ?? (quick ? [10_000] : [10_000, 100_000]))
            {
                await SearchAtScaleAsync(size, seedTurns, seedVectors, queryTexts, queryVectors);
            }
        }

        if (searchOnly)
        {
            return 0;
        }

        await RetainedContextBenchmark.RunAsync(quick ? 10_000 : 100_000, seedTurns, seedVectors, queryTexts, embedder);
        if (!contextOnly)
        {
            await DigestBenchmark.RunAsync(quick ? turns.Take(1000).ToList() : turns, embedder);
        }

        return 0;
    }

    /// <summary>Turns per second through the whole ingest pipeline against the bare model on the same texts.</summary>
    private static async Task IngestAgainstModelAsync(LocalEmbeddingGenerator embedder, List<Turn> turns)
    {
        var chunking = new ChunkingOptions();
        string? previous = null;
        var texts = new List<string>();
        foreach (var turn in turns)
        {
            texts.Add(IngestPipeline.EmbeddingText(chunking, turn, turn.Text, previous?.Length > 0 && turn.Sequence % 10_000 != 1 ? previous : null));
            previous = turn.Text;
        }

        await embedder.GenerateAsync(texts.Take(64).ToList()); // warm up
        var clock = Stopwatch.StartNew();
        foreach (var batch in texts.Chunk(256))
        {
            await embedder.GenerateAsync(batch);
        }

        var raw = texts.Count / clock.Elapsed.TotalSeconds;
        var dir = TempDir();
        try
        {
            await using var engine = await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir }, embedder, plugins: BenchPlugins.All);
            clock.Restart();
            foreach (var group in turns.GroupBy(t => t.Agent))
            {
                await engine.IngestTurnsAsync(group.Key, "bench", group);
            }

            var ingest = turns.Count / clock.Elapsed.TotalSeconds;
            Console.WriteLine();
            Console.WriteLine($"## Ingest ({turns.Count} LoCoMo turns, embedded with the previous turn as context)");
            Console.WriteLine("| path | turns/s |");
            Console.WriteLine("|---|---|");
            Console.WriteLine(Invariant($"| raw model (MiniLM, ONNX Runtime, batches of 256) | {raw:F0} |"));
            Console.WriteLine(Invariant($"| full ingest (chunk, hash, cache, embed, SQLite+FTS5+audit, index) | {ingest:F0} ({ingest / raw:P0} of raw) |"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task SearchAtScaleAsync(int size, List<Turn> seedTurns, List<float[]> seedVectors, List<string> queryTexts, List<float[]> queryVectors)
    {
        var dir = TempDir();
        try
        {
            var random = new Random(42);
            var clock = Stopwatch.StartNew();
            await using (var engine = await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir, Index = new VectorIndexOptions { HnswThreshold = long.MaxValue } }, new FixedEmbedder(seedVectors[0].Length), plugins: BenchPlugins.All))
            {
                await FillAsync(engine.Store, size, seedTurns, seedVectors, random);
            }

            var fill = clock.Elapsed;
            var results = new List<string>();
            List<List<long>>? exactAnswers = null;
            foreach (var kind in new[] { "exact", "hnsw" })
            {
                clock.Restart();
                var options = new MnemoOptions { DataDirectory = dir, Index = new VectorIndexOptions { HnswThreshold = kind == "hnsw" ? 0 : long.MaxValue } };
                await using var engine = await MemoryEngine.OpenAsync(options, new FixedEmbedder(seedVectors[0].Length), plugins: BenchPlugins.All);
                var build = clock.Elapsed;
                var index = engine.Index.Index;
                var answers = new List<List<long>>();
                var indexTimes = new List<double>();
                for (var round = 0; round < 2; round++)
                {
                    indexTimes.Clear();
                    answers.Clear();
                    foreach (var q in queryVectors)
                    {
                        clock.Restart();
                        var hits = index.Search(q, 10);
                        indexTimes.Add(clock.Elapsed.TotalMilliseconds);
                        answers.Add(hits.Select(h => h.Id).ToList());
                    }
                }

                var searchTimes = new List<double>();
                for (var round = 0; round < 2; round++)
                {
                    searchTimes.Clear();
                    for (var i = 0; i < queryVectors.Count; i++)
                    {
                        clock.Restart();
                        await engine.Searcher.SearchAsync(new SearchRequest(queryTexts[i], 10), queryVectors[i], CancellationToken.None);
                        searchTimes.Add(clock.Elapsed.TotalMilliseconds);
                    }
                }

                string recall = "1.000 (reference)";
                if (kind == "exact")
                {
                    exactAnswers = [.. answers];
                }
                else if (exactAnswers is not null)
                {
                    recall = Invariant($"{answers.Zip(exactAnswers).Average(p => p.First.Intersect(p.Second).Count() / 10.0):F3}");
                }

                indexTimes.Sort();
                searchTimes.Sort();
                results.Add(Invariant($"| {size:N0} | {kind} | {build.TotalSeconds:F1} | {P(indexTimes, 0.5):F2} / {P(indexTimes, 0.95):F2} | {P(searchTimes, 0.5):F2} / {P(searchTimes, 0.95):F2} | {recall} |"));
            }

            Console.WriteLine();
            Console.WriteLine(Invariant($"## Search at {size:N0} memories ({queryVectors.Count} LoCoMo questions; store filled in {fill.TotalSeconds:F1} s; times exclude the query embedding)"));
            Console.WriteLine("| memories | index | open/build s | index p50 / p95 ms | hybrid search p50 / p95 ms | recall@10 vs exact |");
            Console.WriteLine("|---|---|---|---|---|---|");
            results.ForEach(Console.WriteLine);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Writes <paramref name="size"/> memories straight into the store, bypassing the model.</summary>
    internal static async Task FillAsync(IMemoryStore store, int size, List<Turn> seedTurns, List<float[]> seedVectors, Random random)
    {
        var model = FixedEmbedder.Model;
        for (var start = 0; start < size; start += 2000)
        {
            var memories = new List<NewMemory>();
            var embeddings = new List<StoredEmbedding>();
            for (var i = start; i < Math.Min(size, start + 2000); i++)
            {
                var seed = random.Next(seedTurns.Count);
                var turn = seedTurns[seed];
                var vector = seedVectors[seed].Select(x => x + (float)((random.NextDouble() - 0.5) * 0.05)).ToArray();
                VectorMath.NormalizeInPlace(vector);
                var id = i.ToString(CultureInfo.InvariantCulture);
                var embeddingHash = Hashes.Of(model, id);
                embeddings.Add(new StoredEmbedding(embeddingHash, vector));
                memories.Add(new NewMemory(Hashes.Of("bench", id), $"agent{i / 400 % 5}", $"s{i / 400}", id, null, 0, i, turn.Role, turn.Provenance.Speaker, null, false, turn.Text,
                    string.Empty, turn.Timestamp, "bench", Hashes.Of(turn.Text), embeddingHash));
            }

            var result = await store.WriteBatchAsync(memories, embeddings, model, null, "bench", CancellationToken.None);
            _ = result;
        }
    }

    private static double P(List<double> sorted, double p) => RecallEvaluator.Percentile(sorted, p);

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mnemo-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Stands in for the model where the benchmark supplies vectors itself; it must never be asked to embed.</summary>
    internal sealed class FixedEmbedder(int dimensions) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public static readonly string Model = LocalEmbeddingModel.MiniLm.ModelId;

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the search benchmark passes query vectors; nothing should be embedded here");

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("bench", null, Model, dimensions) : null;

        public void Dispose()
        {
        }
    }
}
