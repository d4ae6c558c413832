using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Evaluation;
using Mnemo.Indexing;
using Mnemo.Retention;
using Mnemo.Server.Hosting;

namespace Mnemo.Bench;

/// <summary>
/// <c>POST /v1/context</c> at 100k memories: the time the bridge plugin waits before each turn,
/// query embedding included, measured in the builder and through the real HTTP host.
/// </summary>
internal static class RetainedContextBenchmark
{
    public static async Task RunAsync(int size, List<Turn> seedTurns, List<float[]> seedVectors, List<string> prompts, LocalEmbeddingGenerator embedder)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mnemo-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var options = new MnemoOptions { DataDirectory = dir, Index = new VectorIndexOptions { HnswThreshold = 50_000 } };
            await using (var engine = await MemoryEngine.OpenAsync(options, embedder, plugins: BenchPlugins.All))
            {
                await MacroBenchmark.FillAsync(engine.Store, size, seedTurns, seedVectors, new Random(7));

                // Session s10 of agent0 (memories 4,000 to 4,399) was compacted, keeping its last 50.
                await engine.Compactions.RecordAsync(
                    new CompactionEvent("agent0", "s10", "c-bench", 4400, DateTimeOffset.UtcNow, 120_000, 9_000, "A summary.", "4350", CompactionDetails.Empty, "transcript"),
                    CancellationToken.None);
            }

            var settings = MnemoSettings.Load(dir, new Dictionary<string, string?> { ["Server:Urls"] = "http://127.0.0.1:0", ["OpenClaw:Follow"] = "false" });
            settings = settings with { Memory = options with { Retention = settings.Memory.Retention } };
            await using var app = MnemoServer.Build(settings, LogLevel.Warning, services => services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(embedder));
            await app.StartAsync();
            var engineInHost = app.Services.GetRequiredService<MemoryEngine>();
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", settings.Server.Token);

            var builder = new List<double>();
            var overHttp = new List<double>();
            var items = new List<int>();
            var clock = new Stopwatch();

            // Where the time goes: the duration of each of Mnemo's trace steps, in a third round (a
            // listener costs time of its own, so the timed round has none).
            var steps = new System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentBag<double>>(StringComparer.Ordinal);
            var timing = false;
            using var listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == Mnemo.Telemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => timing ? ActivitySamplingResult.AllData : ActivitySamplingResult.None,
                ActivityStopped = activity => steps.GetOrAdd(activity.OperationName, _ => []).Add(activity.Duration.TotalMilliseconds),
            };
            ActivitySource.AddActivityListener(listener);
            for (var round = 0; round < 3; round++)
            {
                if (round == 2)
                {
                    timing = true;
                    foreach (var prompt in prompts)
                    {
                        await engineInHost.BuildContextAsync(new RetainedContextRequest("agent0", "s10", "agent:agent0:main", prompt));
                    }

                    break;
                }

                builder.Clear();
                overHttp.Clear();
                items.Clear();
                foreach (var prompt in prompts)
                {
                    clock.Restart();
                    var context = await engineInHost.BuildContextAsync(new RetainedContextRequest("agent0", "s10", "agent:agent0:main", prompt));
                    builder.Add(clock.Elapsed.TotalMilliseconds);
                    items.Add(context.Items.Count);

                    clock.Restart();
                    using var response = await http.PostAsJsonAsync("/v1/context", new { sessionKey = "agent:agent0:main", sessionId = "s10", agentId = "agent0", prompt });
                    response.EnsureSuccessStatusCode();
                    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    overHttp.Add(clock.Elapsed.TotalMilliseconds);
                }
            }

            builder.Sort();
            overHttp.Sort();
            await app.StopAsync();
            Console.WriteLine();
            Console.WriteLine(Invariant($"## Retained context at {size:N0} memories ({prompts.Count} LoCoMo questions as prompts, second round timed; query embedding included)"));
            Console.WriteLine("| path | p50 ms | p95 ms | max ms | items per answer (mean) |");
            Console.WriteLine("|---|---|---|---|---|");
            Console.WriteLine(Invariant($"| RetainedContextBuilder.BuildAsync | {P(builder, 0.5):F2} | {P(builder, 0.95):F2} | {builder[^1]:F2} | {items.Average():F1} |"));
            Console.WriteLine(Invariant($"| POST /v1/context over loopback HTTP | {P(overHttp, 0.5):F2} | {P(overHttp, 0.95):F2} | {overHttp[^1]:F2} | |"));
            Console.WriteLine();
            Console.WriteLine("Steps of BuildAsync in a third round, traced (the embedding, the search and the session's standing items overlap):");
            Console.WriteLine("| step | p50 ms | p95 ms |");
            Console.WriteLine("|---|---|---|");
            foreach (var (name, durations) in steps.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                var sorted = durations.Order().ToList();
                Console.WriteLine(Invariant($"| {name} | {P(sorted, 0.5):F2} | {P(sorted, 0.95):F2} |"));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double P(List<double> sorted, double p) => RecallEvaluator.Percentile(sorted, p);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
