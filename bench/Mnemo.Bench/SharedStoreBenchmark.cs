using System.Diagnostics;
using System.Globalization;
using Mnemo.Datasets;
using Mnemo.Embeddings;
using Mnemo.Indexing;
using Mnemo.Postgres;
using Mnemo.Readers;
using Mnemo.Search;
using Npgsql;

namespace Mnemo.Bench;

/// <summary>
/// The embedded store against PostgreSQL, side by side in one run on one machine: real ingest with
/// the model, bulk store writes, and hybrid search at 10k and 100k memories.
/// Run by bench/postgres.sh, which starts a throwaway PostgreSQL on 127.0.0.1.
/// </summary>
internal static class SharedStoreBenchmark
{
    public static async Task<int> RunAsync(string locomoPath, string maintenanceConnection, int[] sizes)
    {
        Console.WriteLine($"# Mnemo store benchmark: SQLite (embedded) and PostgreSQL, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        var conversations = LocomoDataset.Load(locomoPath, null, new List<Domain.ReadIssue>());
        var turns = conversations.SelectMany(c => c.Turns).ToList();
        var questions = conversations.SelectMany(c => c.Questions).Select(q => q.Question).Take(200).ToList();
        using var embedder = new LocalEmbeddingGenerator();
        var seedTurns = turns.Take(2000).ToList();
        var seedVectors = (await embedder.GenerateAsync(seedTurns.Select(t => t.Text).ToList())).Select(e => e.Vector.ToArray()).ToList();
        var queryVectors = (await embedder.GenerateAsync(questions, EmbeddingInput.Query)).Select(e => e.Vector.ToArray()).ToList();

        Console.WriteLine();
        Console.WriteLine("## Ingest with the model (1,000 LoCoMo turns: embed, write, index)");
        Console.WriteLine("| store | turns/s |");
        Console.WriteLine("|---|---|");
        foreach (var backend in new[] { "sqlite", "postgres" })
        {
            await WithStoreAsync(backend, maintenanceConnection, async options =>
            {
                await using var engine = await MemoryEngines.OpenAsync(options, embedder, plugins: BenchPlugins.All);
                var clock = Stopwatch.StartNew();
                await engine.IngestTurnsAsync("bench", "locomo", turns.Take(1000));
                Console.WriteLine(Invariant($"| {backend} | {1000 / clock.Elapsed.TotalSeconds:F0} |"));
            });
        }

        foreach (var size in sizes)
        {
            Console.WriteLine();
            Console.WriteLine(Invariant($"## {size:N0} memories ({queryVectors.Count} LoCoMo questions, 2 rounds; search times exclude the query embedding)"));
            Console.WriteLine("| store | bulk write rows/s | index build s | hybrid search p50 / p95 ms |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var backend in new[] { "sqlite", "postgres" })
            {
                await WithStoreAsync(backend, maintenanceConnection, async options =>
                {
                    var fixedEmbedder = new MacroBenchmark.FixedEmbedder(seedVectors[0].Length);
                    var clock = Stopwatch.StartNew();
                    await using (var engine = await MemoryEngines.OpenAsync(options with { Index = new VectorIndexOptions { HnswThreshold = long.MaxValue } }, fixedEmbedder, plugins: BenchPlugins.All))
                    {
                        clock.Restart();
                        await MacroBenchmark.FillAsync(engine.Store, size, seedTurns, seedVectors, new Random(42));
                    }

                    var write = size / clock.Elapsed.TotalSeconds;
                    // No saved index: the node builds it from the store, as a new node would.
                    Directory.Delete(options.IndexDirectory, recursive: true);
                    clock.Restart();
                    await using var reopened = await MemoryEngines.OpenAsync(options with { Index = new VectorIndexOptions { HnswThreshold = 0 } }, fixedEmbedder, plugins: BenchPlugins.All);
                    var build = clock.Elapsed.TotalSeconds;
                    var times = new List<double>();
                    for (var round = 0; round < 2; round++)
                    {
                        times.Clear();
                        for (var i = 0; i < queryVectors.Count; i++)
                        {
                            clock.Restart();
                            await reopened.Searcher.SearchAsync(new SearchRequest(questions[i], 10), queryVectors[i], CancellationToken.None);
                            times.Add(clock.Elapsed.TotalMilliseconds);
                        }
                    }

                    times.Sort();
                    Console.WriteLine(Invariant($"| {backend} | {write:F0} | {build:F1} | {Evaluation.RecallEvaluator.Percentile(times, 0.5):F2} / {Evaluation.RecallEvaluator.Percentile(times, 0.95):F2} |"));
                });
            }
        }

        return 0;
    }

    /// <summary>Runs with a fresh data directory, and for postgres a fresh database, both removed afterwards.</summary>
    private static async Task WithStoreAsync(string backend, string maintenanceConnection, Func<MnemoOptions, Task> run)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mnemo-bench-" + Guid.NewGuid().ToString("N"));
        var database = "mnemo_bench_" + Guid.NewGuid().ToString("N")[..12];
        var store = new StoreOptions();
        if (backend == "postgres")
        {
            await ExecuteAsync(maintenanceConnection, $"CREATE DATABASE {database}");
            store = new StoreOptions { Provider = "postgres", Connection = new NpgsqlConnectionStringBuilder(maintenanceConnection) { Database = database }.ConnectionString };
        }

        try
        {
            await run(new MnemoOptions { DataDirectory = dir, Store = store });
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            NpgsqlConnection.ClearAllPools();
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }

            if (backend == "postgres")
            {
                await ExecuteAsync(maintenanceConnection, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            }
        }
    }

    private static async Task ExecuteAsync(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
