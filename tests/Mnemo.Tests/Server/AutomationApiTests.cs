using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Mnemo.Tests.Support;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Mnemo.Tests.Server;

/// <summary>Digests, signals, three-pass and jobs through <c>mnemo serve</c>'s HTTP API and MCP.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class AutomationApiTests(EmbedderFixture embedder)
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static async Task IngestRecentAsync(TestServer server)
    {
        var hourAgo = DateTimeOffset.UtcNow.AddHours(-1.5).ToString("o", System.Globalization.CultureInfo.InvariantCulture);
        var body = $$"""
            {"turns":[
              {"agent":"main","session":"s1","id":"1","role":"user","text":"We decided to renew the support contract with Acme for 2027.","timestamp":"{{hourAgo}}"},
              {"agent":"main","session":"s1","id":"2","role":"assistant","text":"Noted: the Acme contract is renewed for 2027, invoice INV-7731.","timestamp":"{{hourAgo}}"},
              {"agent":"main","session":"s1","id":"3","role":"user","text":"Which account pays for the Acme renewal?","timestamp":"{{hourAgo}}"}
            ]}
            """;
        using var response = await server.Client.PostAsync("/v1/ingest", Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task EveryRoute_ButHealth_RefusesARequestWithoutTheToken()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);
        var routes = server.Services.GetServices<EndpointDataSource>()
            .SelectMany(s => s.Endpoints)
            .OfType<RouteEndpoint>()
            .Select(e => (Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/'), Methods: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"]))
            .ToList();

        Assert.Contains(routes, r => r.Pattern == "/v1/digests");
        Assert.Contains(routes, r => r.Pattern == "/v1/jobs/{name}/run");
        Assert.Contains(routes, r => r.Pattern == "/search");
        Assert.Contains(routes, r => r.Pattern == "/forget");
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var anonymous = new HttpClient(handler) { BaseAddress = server.Address };
        foreach (var (pattern, methods) in routes)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{[^}]+\}", "1");
            var api = path.StartsWith("/v1", StringComparison.Ordinal) || path.StartsWith("/mcp", StringComparison.Ordinal) || path.StartsWith("/metrics", StringComparison.Ordinal) || path.StartsWith("/telegram", StringComparison.Ordinal);
            foreach (var method in methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") };
                using var response = await anonymous.SendAsync(request);

                // Open: liveness and readiness (a status, nothing more), the login form and the
                // stylesheet (neither holds data); the full health report needs the token; logging in
                // without the form's antiforgery token is refused. Every other page sends the
                // browser to the login form; every other request is 401.
                var expected = (path, method, api) switch
                {
                    ("/login", "POST", _) => HttpStatusCode.BadRequest,
                    ("/login" or "/dashboard.css", _, _) => HttpStatusCode.OK,
                    ("/health/live" or "/health/ready", _, _) => HttpStatusCode.OK,
                    ("/health", _, _) => HttpStatusCode.Unauthorized,
                    (_, "GET", false) => HttpStatusCode.Redirect,
                    _ => HttpStatusCode.Unauthorized,
                };
                Assert.True(expected == response.StatusCode, $"{method} {path}: {response.StatusCode}");
                if (expected == HttpStatusCode.Redirect)
                {
                    Assert.StartsWith("/login?next=", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
                }
            }
        }
    }

    [Theory]
    [InlineData("Schedule:Jobs:hourly-summary:Cron", "0 25 * * *", "Schedule:Jobs:hourly-summary:Cron")]
    [InlineData("Schedule:Jobs:hourly-sumary:Enabled", "false", "hourly-sumary")]
    [InlineData("Schedule:TimeZone", "Atlantis/Capital", "Schedule:TimeZone")]
    [InlineData("Model:Provider", "gpt", "Model:Provider")]
    [InlineData("Digests:Deliver:0", "monthly", "Digests:Deliver")]
    [InlineData("Delivery:Telegram:ApiBaseUrl", "not a url", "Delivery:Telegram:ApiBaseUrl")]
    public async Task Serve_RefusesABadAutomationSetting_NamingIt(string key, string value, string named)
    {
        using var dir = new TempDirectory();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => TestServer.StartAsync(dir.File("data"), embedder, new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_RunsTheScheduler_TheHourlySummaryAppearsWhenTheClockReachesTheHour()
    {
        using var dir = new TempDirectory();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 7, 58, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, new Dictionary<string, string?>
        {
            ["Schedule:Enabled"] = "true",
            ["Schedule:TimeZone"] = "UTC",
            ["Schedule:Jobs:compaction-sweep:Enabled"] = "false",
        }, time);
        using var ingest = await server.Client.PostAsync("/v1/ingest", Json("""
            {"turns":[{"agent":"main","session":"s1","id":"1","role":"user","text":"We decided to paint the hallway white; order PAINT-118.","timestamp":"2026-11-25T07:10:00Z"}]}
            """));
        Assert.Equal(HttpStatusCode.OK, ingest.StatusCode);

        JsonElement digests = default;
        for (var step = 0; step < 100; step++)
        {
            using var response = await server.Client.GetAsync("/v1/digests?kind=hourly");
            digests = (await ReadAsync(response)).GetProperty("digests");
            if (digests.GetArrayLength() > 0)
            {
                break;
            }

            time.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(50);
        }

        var digest = Assert.Single(digests.EnumerateArray());
        Assert.Contains("PAINT-118", digest.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 7, 0, 0, TimeSpan.Zero), digest.GetProperty("periodStart").GetDateTimeOffset());
        Assert.True(time.GetUtcNow() >= new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task MnemoRun_WhileServeRuns_RunsTheJobInsideServe()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        await using var server = await TestServer.StartAsync(data, embedder);
        await IngestRecentAsync(server);

        var (code, stdout, stderr) = await CliProcess.RunAsync(data, new Dictionary<string, string> { ["MNEMO_Server__Urls"] = server.Address.ToString() }, "run", "hourly-summary", "--json");
        using var digests = await server.Client.GetAsync("/v1/digests?kind=hourly");

        Assert.True(code == 0, stderr);
        var run = JsonDocument.Parse(stdout).RootElement;
        Assert.StartsWith("mnemo serve at http://127.0.0.1:", run.GetProperty("where").GetString(), StringComparison.Ordinal);
        Assert.True(run.GetProperty("succeeded").GetBoolean());
        Assert.Single((await ReadAsync(digests)).GetProperty("digests").EnumerateArray());
    }

    [Fact]
    public async Task Jobs_RunByHand_WriteDigestsAndSignals_ListedWithTheSchedule()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);
        await IngestRecentAsync(server);

        using var run = await server.Client.PostAsync("/v1/jobs/hourly-summary/run", null);
        using var signalsRun = await server.Client.PostAsync("/v1/jobs/signals/run", null);
        using var digests = await server.Client.GetAsync("/v1/digests?kind=hourly&agent=main");
        using var signals = await server.Client.GetAsync("/v1/signals");
        using var jobs = await server.Client.GetAsync("/v1/jobs");
        using var unknown = await server.Client.PostAsync("/v1/jobs/nope/run", null);
        using var badKind = await server.Client.GetAsync("/v1/digests?kind=monthly");

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        Assert.True((await ReadAsync(run)).GetProperty("succeeded").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, signalsRun.StatusCode);
        var digest = Assert.Single((await ReadAsync(digests)).GetProperty("digests").EnumerateArray());
        Assert.Equal("extractive", digest.GetProperty("method").GetString());
        Assert.Contains("INV-7731", digest.GetProperty("text").GetString(), StringComparison.Ordinal);
        var id = digest.GetProperty("id").GetInt64();
        using var one = await server.Client.GetAsync($"/v1/digests/{id}");
        Assert.Equal(id, (await ReadAsync(one)).GetProperty("id").GetInt64());
        var signal = Assert.Single((await ReadAsync(signals)).GetProperty("signals").EnumerateArray());
        Assert.Equal("unanswered-question", signal.GetProperty("kind").GetString());
        var hourly = (await ReadAsync(jobs)).GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("name").GetString() == "hourly-summary");
        Assert.Equal("succeeded", hourly.GetProperty("lastOutcome").GetString());
        Assert.Equal("0 8-22 * * *", hourly.GetProperty("cron").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badKind.StatusCode);
    }

    [Fact]
    public async Task ThreePass_WithoutAModelIs503_WithOneItDraftsCritiquesAndRefines_OverHttpAndMcp()
    {
        using var dir = new TempDirectory();
        await using (var plain = await TestServer.StartAsync(dir.File("plain"), embedder))
        {
            using var none = await plain.Client.PostAsync("/v1/threepass", Json("""{"task":"Summarize the Acme renewal.","query":"Acme"}"""));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
            Assert.Contains("Model:Provider", (await ReadAsync(none)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        await using var model = await FakeChatServer.StartAsync();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, new Dictionary<string, string?>
        {
            ["Model:Provider"] = "openai",
            ["Model:Endpoint"] = model.OpenAiEndpoint,
            ["Model:Model"] = "fake-model",
            ["Model:ApiKey"] = "sk-secret-for-test",
        });
        await IngestRecentAsync(server);

        using var noTask = await server.Client.PostAsync("/v1/threepass", Json("""{"query":"Acme"}"""));
        using var response = await server.Client.PostAsync("/v1/threepass", Json("""{"task":"Summarize the Acme renewal.","query":"Acme contract renewal","k":3}"""));
        var run = await ReadAsync(response);
        using var stored = await server.Client.GetAsync($"/v1/threepass/{run.GetProperty("id").GetInt64()}");

        Assert.Equal(HttpStatusCode.BadRequest, noTask.StatusCode);
        Assert.Equal("task", (await ReadAsync(noTask)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("succeeded", run.GetProperty("outcome").GetString());
        Assert.Equal(3, run.GetProperty("passes").GetArrayLength());
        var critique = run.GetProperty("critique").GetString()!;
        Assert.Contains(critique.Split('"')[1], run.GetProperty("refined").GetString(), StringComparison.Ordinal);
        Assert.Equal(run.GetProperty("refined").GetString(), (await ReadAsync(stored)).GetProperty("refined").GetString());
        Assert.All(model.Requests, r => Assert.Equal("Bearer sk-secret-for-test", r.Authorization));

        await using var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server.Address, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {server.Settings.Server.Token}" },
        });
        await using var client = await McpClient.CreateAsync(transport);
        var result = await client.CallToolAsync("three_pass", new Dictionary<string, object?> { ["task"] = "What was decided about Acme?", ["query"] = "Acme" });
        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));
        Assert.True(result.IsError != true, text);
        Assert.Contains("[m", text, StringComparison.Ordinal);
        Assert.Contains("three-pass run", text, StringComparison.Ordinal);
    }
}
