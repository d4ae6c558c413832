using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Mnemo.Backups;
using Mnemo.Health;
using Mnemo.Scheduling;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Operations;

/// <summary><c>mnemo health</c> and <c>GET /health</c>: each check, and the exit code and status of each overall state.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class HealthTests(EmbedderFixture embedder)
{
    private static readonly Dictionary<string, string> NoOpenClaw = new() { ["MNEMO_OpenClaw__Follow"] = "false" };

    [Fact]
    public async Task HealthCommand_ExitsZeroWhenHealthy_TwoWhenDegraded_OneWhenUnhealthy()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");

        // Nothing backed up yet: degraded, and the report says why.
        var (degraded, degradedOut, degradedErr) = await CliProcess.RunAsync(data, NoOpenClaw, "health", "--json");
        var report = JsonDocument.Parse(degradedOut).RootElement;
        Assert.True(degraded == 2, degradedOut + degradedErr);
        Assert.Equal("degraded", report.GetProperty("status").GetString());
        Assert.Equal("degraded", Check(report, "backup").GetProperty("status").GetString());
        Assert.Contains("no backup", Check(report, "backup").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(
            ["store", "index", "embedder", "data-quality", "jobs", "backup", "voice", "feedback-bot", "openclaw", "disk"],
            report.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        // A verified backup: healthy.
        var (backedUp, _, backupErr) = await CliProcess.RunAsync(data, NoOpenClaw, "backup", "create");
        Assert.True(backedUp == 0, backupErr);
        var (healthy, healthyOut, _) = await CliProcess.RunAsync(data, NoOpenClaw, "health");
        Assert.True(healthy == 0, healthyOut);
        Assert.StartsWith("mnemo is healthy", healthyOut, StringComparison.Ordinal);

        // Less free disk than the threshold allows: unhealthy.
        var tight = new Dictionary<string, string>(NoOpenClaw) { ["MNEMO_Health__MinFreeDiskMegabytes"] = "1000000000000" };
        var (unhealthy, unhealthyOut, _) = await CliProcess.RunAsync(data, tight, "health");
        Assert.True(unhealthy == 1, unhealthyOut);
        Assert.Contains("unhealthy disk", unhealthyOut.Replace("  ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthRoute_IsTheSameReport_200WhenDegraded_503WhenUnhealthy_LivenessAlways200()
    {
        using var dir = new TempDirectory();
        await using (var server = await TestServer.StartAsync(dir.File("a"), embedder, new Dictionary<string, string?> { ["OpenClaw:Follow"] = "false" }))
        {
            using var health = await server.Client.GetAsync(new Uri("/health", UriKind.Relative));
            using var ready = await server.Anonymous.GetAsync(new Uri("/health/ready", UriKind.Relative));
            var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("""{"status":"degraded"}""", await ready.Content.ReadAsStringAsync());
            Assert.Equal("degraded", body.GetProperty("status").GetString());
            Assert.Equal("healthy", Check(body, "store").GetProperty("status").GetString());
            Assert.Equal("healthy", Check(body, "embedder").GetProperty("status").GetString());
        }

        await using var sick = await TestServer.StartAsync(dir.File("b"), embedder, new Dictionary<string, string?> { ["Health:MinFreeDiskMegabytes"] = "1000000000000" });
        using var unhealthy = await sick.Client.GetAsync(new Uri("/health", UriKind.Relative));
        using var live = await sick.Anonymous.GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        Assert.Equal("unhealthy", JsonDocument.Parse(await unhealthy.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Checks_SeeAnOverdueJob_AFailingBackup_AStaleBackup_AndALaggingIndex()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        await using var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder, o => o with { Schedule = new ScheduleOptions { TimeZone = "UTC" } });
        await new Chat().Say("main", "s1", "user", "We decided to go with PostgreSQL 16.", clock.GetUtcNow()).IngestAsync(engine);
        using var automation = Automation.Create(engine, null, clock);
        var options = new HealthOptions();
        var jobs = new JobsHealthCheck(automation.Scheduler, options, clock);
        var backup = new BackupHealthCheck(automation.Backups, engine.Options.Schedule, options, clock);

        // The scheduler started and planned its next occurrences; nothing is due yet.
        await automation.Scheduler.InitializeAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Healthy, (await jobs.CheckHealthAsync(new HealthCheckContext())).Status);
        var backupRun = await automation.Scheduler.RunNowAsync(JobNames.Backup, CancellationToken.None);
        Assert.True(backupRun.Succeeded, backupRun.Detail);
        Assert.Equal(HealthStatus.Healthy, (await backup.CheckHealthAsync(new HealthCheckContext())).Status);

        // Two days on, with no scheduler running: the jobs are overdue and the backup is stale.
        clock.Advance(TimeSpan.FromDays(2));
        var overdue = await jobs.CheckHealthAsync(new HealthCheckContext());
        var stale = await backup.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, overdue.Status);
        Assert.Contains("hourly-summary was due", overdue.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Degraded, stale.Status);
        Assert.Contains("hours old", stale.Description, StringComparison.Ordinal);

        // The index falls behind the store: degraded, with the numbers.
        var index = new IndexHealthCheck(engine);
        Assert.Equal(HealthStatus.Healthy, (await index.CheckHealthAsync(new HealthCheckContext())).Status);
        var memory = (await engine.Store.GetMemoriesBetweenAsync(clock.GetUtcNow().AddDays(-3), clock.GetUtcNow(), null, 10, CancellationToken.None)).Single();
        Assert.True(engine.Index.Index.Remove(memory.Memory.Id));
        var lagging = await index.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, lagging.Status);
        Assert.Contains("the index holds 0 vectors", lagging.Description, StringComparison.Ordinal);
    }

    private static JsonElement Check(JsonElement report, string name) =>
        report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
}
