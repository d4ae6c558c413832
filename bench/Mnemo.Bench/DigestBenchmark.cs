using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Scheduling;

namespace Mnemo.Bench;

/// <summary>
/// The scheduled jobs on a busy week: LoCoMo's ten conversations as ten agents, their turns spread
/// over seven days from 08:00 to 22:00, really embedded. Times the extractive hourly, daily and
/// weekly digests and the signal detectors, as the scheduler runs them.
/// </summary>
internal static class DigestBenchmark
{
    public static async Task RunAsync(List<Turn> turns, LocalEmbeddingGenerator embedder)
    {
        var weekEnd = new DateTimeOffset(2026, 11, 29, 22, 0, 0, TimeSpan.Zero);
        var weekStart = weekEnd.AddDays(-6).Date;
        var retimed = new List<Turn>();
        foreach (var agent in turns.GroupBy(t => t.Agent))
        {
            var list = agent.ToList();
            // The first speaker of each conversation plays the user, the other the assistant.
            var user = list[0].Role;
            for (var i = 0; i < list.Count; i++)
            {
                // 14 active hours a day, 7 days, in order.
                var slot = (double)i / list.Count * 7 * 14;
                var at = new DateTimeOffset(weekStart, TimeSpan.Zero).AddDays(Math.Floor(slot / 14)).AddHours(8 + (slot % 14));
                retimed.Add(list[i] with { Timestamp = at, Role = list[i].Role == user ? "user" : "assistant" });
            }
        }

        var dir = Path.Combine(Path.GetTempPath(), "mnemo-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new MnemoOptions { DataDirectory = dir, Schedule = new ScheduleOptions { TimeZone = "UTC" } };
            await using var engine = await MemoryEngine.OpenAsync(options, embedder, plugins: BenchPlugins.All);
            var clock = Stopwatch.StartNew();
            foreach (var agent in retimed.GroupBy(t => t.Agent))
            {
                await engine.IngestTurnsAsync(agent.Key, "bench", agent);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\n## Scheduled jobs on a busy week ({retimed.Count} turns, {retimed.Select(t => t.Agent).Distinct().Count()} agents, 7 days; ingest {clock.Elapsed.TotalSeconds:F1} s)"));
            var time = new FakeTimeProvider(weekEnd);
            using var automation = Automation.Create(engine, null, time);

            clock.Restart();
            var hourly = await automation.Digests.WriteHourlyAsync(weekEnd, CancellationToken.None);
            var hourlySeconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hourly summary, 24 hours caught up: {hourly.Count} digests in {hourlySeconds:F2} s ({hourlySeconds / Math.Max(1, hourly.Count) * 1000:F0} ms per digest, {retimed.Count / 7.0 / 14 / 10:F0} turns per agent-hour)"));

            clock.Restart();
            var daily = await automation.Digests.WriteDailyAsync(DateOnly.FromDateTime(weekEnd.UtcDateTime), CancellationToken.None);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"daily sync: {daily.Count} digests in {clock.Elapsed.TotalSeconds:F2} s"));

            clock.Restart();
            var weekly = await automation.Digests.WriteWeeklyAsync(DateOnly.FromDateTime(weekEnd.UtcDateTime), CancellationToken.None);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"weekly synthesis over {weekly?.Sources} memories: {clock.Elapsed.TotalSeconds:F2} s, {weekly?.Lines.Count} lines ({string.Join(", ", weekly?.Lines.GroupBy(l => l.Section).Select(g => $"{g.Key} {g.Count()}") ?? [])})"));

            clock.Restart();
            var signals = await automation.Signals.DetectAsync(weekEnd, CancellationToken.None);
            foreach (var signal in signals.Take(int.TryParse(Environment.GetEnvironmentVariable("MNEMO_BENCH_SHOW"), out var show) ? show : 0))
            {
                Console.WriteLine($"  {signal.Kind}: {signal.Title}");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"signals over the last 48 hours: {signals.Count} in {clock.Elapsed.TotalSeconds:F2} s ({string.Join(", ", signals.GroupBy(s => s.Kind).Select(g => $"{g.Key} {g.Count()}"))})"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
