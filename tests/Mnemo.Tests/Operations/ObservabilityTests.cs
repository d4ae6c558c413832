using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Operations;

/// <summary>Rolling log files without secrets or memory text, and Prometheus metrics at <c>/metrics</c>.</summary>
[Collection(EmbedderGroup.Name)]
public sealed partial class ObservabilityTests(EmbedderFixture embedder)
{
    private const string Secret = "ZEBRA-7781-vault";

    [Fact]
    public async Task Metrics_AreScrapedInPrometheusFormat_WithIngestSearchContextAndJobFigures()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);
        var at = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O", CultureInfo.InvariantCulture);
        using (var ingest = await server.Client.PostAsync(new Uri("/v1/ingest", UriKind.Relative), Json($$"""{"turns":[{"agent":"main","session":"m1","id":"1","role":"user","text":"We picked PostgreSQL 16 for billing.","timestamp":"{{at}}"}]}""")))
        {
            Assert.True(ingest.IsSuccessStatusCode);
        }

        using (await server.Client.PostAsync(new Uri("/v1/search", UriKind.Relative), Json("""{"query":"billing database"}""")))
        using (await server.Client.PostAsync(new Uri("/v1/context", UriKind.Relative), Json("""{"agentId":"main","sessionId":"m1","prompt":"which database?"}""")))
        using (await server.Client.PostAsync(new Uri("/v1/jobs/signals/run", UriKind.Relative), null))
        {
        }

        using var anonymous = await server.Anonymous.GetAsync(new Uri("/metrics", UriKind.Relative));
        var text = await server.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var samples = Parse(text);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("# TYPE mnemo_ingest_turns_total counter", text, StringComparison.Ordinal);
        Assert.True(Sum(samples, "mnemo_ingest_turns_total") >= 1);
        Assert.True(Sum(samples, "mnemo_ingest_lag_seconds_count") >= 1);
        Assert.True(Sum(samples, "mnemo_search_duration_milliseconds_count") >= 1);
        Assert.Contains(samples, s => s.Name == "mnemo_search_duration_milliseconds_bucket" && s.Labels.Contains("le=", StringComparison.Ordinal));
        Assert.True(Sum(samples, "mnemo_context_duration_milliseconds_count") >= 1);
        Assert.Contains(samples, s => s.Name == "mnemo_job_runs_total" && s.Labels.Contains("job=\"signals\"", StringComparison.Ordinal) && s.Labels.Contains("outcome=\"succeeded\"", StringComparison.Ordinal) && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "mnemo_voice_queue" && s.Labels.Contains("state=\"queued\"", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal));
        Assert.DoesNotContain("PostgreSQL", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogFiles_RollAtTheirSize_KeepTheConfiguredNumber_AndHoldNoSecretOrMemoryText()
    {
        await using var bot = await FakeBotApi.StartAsync();
        using var dir = new TempDirectory();
        var data = dir.File("data");
        string[] secrets;
        await using (var server = await TestServer.StartAsync(data, embedder, new Dictionary<string, string?>
        {
            ["Log:Level"] = "Information",
            ["Log:FileMaxBytes"] = "4096",
            ["Log:FilesKept"] = "3",
            ["Delivery:Telegram:BotToken"] = bot.Token,
            ["Delivery:Telegram:ChatId"] = "4242",
            ["Delivery:Telegram:ApiBaseUrl"] = bot.BaseUrl,
            ["Delivery:OpenClaw:Token"] = "hook-token-never-logged-0123",
            ["Delivery:OpenClaw:Url"] = "http://127.0.0.1:9/hooks/agent",
        }))
        {
            secrets = [server.Settings.Server.Token, server.Settings.Memory.Feedback.Key, bot.Token, "hook-token-never-logged-0123", Secret];
            var at = DateTimeOffset.UtcNow.AddHours(-3).ToString("O", CultureInfo.InvariantCulture);
            using (await server.Client.PostAsync(new Uri("/v1/ingest", UriKind.Relative), Json($$"""{"turns":[{"agent":"main","session":"s1","id":"1","role":"user","text":"The vault code is {{Secret}}; what time does the pharmacy close?","timestamp":"{{at}}"}]}""")))
            using (await server.Client.PostAsync(new Uri("/v1/search", UriKind.Relative), Json($$"""{"query":"vault code {{Secret}}"}""")))
            using (await server.Client.PostAsync(new Uri("/v1/context", UriKind.Relative), Json($$"""{"agentId":"main","sessionId":"s1","prompt":"the vault code {{Secret}}"}""")))
            using (await server.Client.PostAsync(new Uri("/v1/jobs/signals/run", UriKind.Relative), null))
            using (await server.Client.PostAsync(new Uri("/v1/feedback", UriKind.Relative), Json("""{"callbackData":"mn:d1:u:zzzz:AAAAAAAAAAAAAAAA","callbackQueryId":"q","chatId":4242}""")))
            {
            }

            // Enough lines to roll the files several times over.
            var logger = server.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mnemo.Tests.Filler");
            for (var i = 0; i < 400; i++)
            {
                Filler(logger, i);
            }
        }

        var files = Directory.GetFiles(Path.Combine(data, "logs"), "mnemo*.log");
        Assert.InRange(files.Length, 2, 3);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length <= 4096 + 512, $"{f} is {new FileInfo(f).Length} bytes"));
        var all = string.Concat(files.Select(File.ReadAllText));
        Assert.Contains("filler line 399", all, StringComparison.Ordinal);
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, all, StringComparison.Ordinal));
    }

    [Fact]
    public async Task LogFile_HoldsNoFrameworkRequestLines_SoQueryStringsStayOut()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        await using (var server = await TestServer.StartAsync(data, embedder, new Dictionary<string, string?> { ["Log:Level"] = "Information" }))
        {
            using var response = await server.Anonymous.GetAsync(new Uri("/health/live?q=what+is+the+vault+code+" + Secret, UriKind.Relative));
            Assert.True(response.IsSuccessStatusCode);
        }

        var all = string.Concat(Directory.GetFiles(Path.Combine(data, "logs"), "mnemo*.log").Select(File.ReadAllText));
        Assert.DoesNotContain(Secret, all, StringComparison.Ordinal);
        Assert.DoesNotContain("[INF] Microsoft.AspNetCore", all, StringComparison.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "filler line {Number} to make the log roll over its size limit")]
    private static partial void Filler(ILogger logger, int number);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static double Sum(List<(string Name, string Labels, double Value)> samples, string name) =>
        samples.Where(s => s.Name == name).Sum(s => s.Value);

    /// <summary>Prometheus text format: <c>name{labels} value [timestamp]</c> per sample line.</summary>
    private static List<(string Name, string Labels, double Value)> Parse(string text)
    {
        var samples = new List<(string, string, double)>();
        foreach (var line in text.Split('\n').Where(l => l.Length > 0 && l[0] != '#'))
        {
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var close = line.LastIndexOf('}');
            var name = brace >= 0 ? line[..brace] : line[..line.IndexOf(' ', StringComparison.Ordinal)];
            var labels = brace >= 0 ? line[(brace + 1)..close] : string.Empty;
            var rest = (brace >= 0 ? line[(close + 1)..] : line[name.Length..]).Trim().Split(' ');
            samples.Add((name, labels, double.Parse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture)));
        }

        return samples;
    }
}
