using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mnemo.Server.Hosting;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Server;

[Collection(EmbedderGroup.Name)]
public sealed class HttpApiTests(EmbedderFixture embedder)
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task LivenessAndReadiness_NeedNoToken_TheReportAndEverythingElseDo()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);

        using var live = await server.Anonymous.GetAsync("/health/live");
        using var ready = await server.Anonymous.GetAsync("/health/ready");
        using var anonymousReport = await server.Anonymous.GetAsync("/health");
        using var health = await server.Client.GetAsync("/health");
        using var noToken = await server.Anonymous.PostAsync("/v1/search", Json("""{"query":"x"}"""));
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/v1/search") { Content = Json("""{"query":"x"}""") };
        wrong.Headers.Authorization = new("Bearer", "not-the-token-at-all");
        using var wrongToken = await server.Anonymous.SendAsync(wrong);
        using var mcp = await server.Anonymous.PostAsync("/mcp", Json("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("""{"status":"healthy"}""", await live.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(["status"], (await ReadAsync(ready)).EnumerateObject().Select(p => p.Name));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousReport.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains((await ReadAsync(health)).GetProperty("status").GetString(), new[] { "healthy", "degraded" });
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, mcp.StatusCode);
    }

    [Fact]
    public void Token_IsGeneratedOnFirstStart_StoredPrivately_AndKept()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");

        var first = MnemoSettings.Load(data);
        var second = MnemoSettings.Load(data);

        Assert.True(first.Server.Token.Length >= 32);
        Assert.Equal(first.Server.Token, second.Server.Token);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigFile.PathIn(data)));
        }

        Assert.Equal(ServerOptions.DefaultUrls, first.Server.Urls);
    }

    [Fact]
    public async Task Settings_BadValue_FailsAtStartNamingTheSetting()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        MnemoSettings.Load(data);
        var path = ConfigFile.PathIn(data);
        var json = await File.ReadAllTextAsync(path);
        await File.WriteAllTextAsync(path, json.Replace("\"Server\": {", "\"Retention\": { \"TokenBudget\": -5 },\n  \"Server\": {", StringComparison.Ordinal));

        var error = Assert.Throws<ArgumentException>(() => MnemoSettings.Load(data));

        Assert.Contains("Retention:TokenBudget", error.Message, StringComparison.Ordinal);
        Assert.Contains("Auth", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_SearchIndexAndChunking_AreReadFromConfig_AndChecked()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");

        var settings = MnemoSettings.Load(data, new Dictionary<string, string?> { ["Search:TextWeight"] = "0.9", ["Index:HnswThreshold"] = "123", ["Chunking:MaxChunkChars"] = "600" });
        var error = Assert.Throws<ArgumentException>(() => MnemoSettings.Load(data, new Dictionary<string, string?> { ["Search:NeighbourWeight"] = "3" }));

        Assert.Equal(0.9, settings.Memory.Search.TextWeight);
        Assert.Equal(123, settings.Memory.Index.HnswThreshold);
        Assert.Equal(600, settings.Memory.Chunking.MaxChunkChars);
        Assert.Equal(new Mnemo.Search.SearchOptions().VectorWeight, settings.Memory.Search.VectorWeight);
        Assert.Contains("Search.NeighbourWeight", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/context", """{"sessionId":"s1"}""", "prompt")]
    [InlineData("/v1/context", """{"prompt":42}""", "prompt")]
    [InlineData("/v1/context", """{"prompt":"hi","tokenBudget":-1}""", "tokenBudget")]
    [InlineData("/v1/search", """{"query":"  "}""", "query")]
    [InlineData("/v1/search", """{"query":"tea","k":0}""", "k")]
    [InlineData("/v1/search", """{"query":"tea","k":"ten"}""", "k")]
    [InlineData("/v1/ingest", """{"turns":[]}""", "turns")]
    [InlineData("/v1/ingest", """{"turns":[{"agent":"a","session":"s","role":"user","text":"x"}]}""", "turns[0]")]
    [InlineData("/v1/remember", """{"text":""}""", "text")]
    public async Task InvalidRequest_Gets400_NamingTheField(string path, string body, string field)
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);

        using var response = await server.Client.PostAsync(path, Json(body));
        var error = await ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", error.GetProperty("error").GetString());
        Assert.Equal(field, error.GetProperty("field").GetString());
        Assert.Contains(field.Split('[')[0], error.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DatabaseLockedByAnotherProcess_Answers503WithAClearError_AndTheSameRequestWorksOnceItIsFree()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);
        const string Body = """{"turns":[{"agent":"main","session":"locked","id":"1","role":"user","text":"The locker code is 4471"}]}""";
        HttpResponseMessage blocked;
        await using (var locker = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir.File("data"), "mnemo.db")};Pooling=False"))
        {
            await locker.OpenAsync();
            await using var exclusive = locker.CreateCommand();
            exclusive.CommandText = "BEGIN EXCLUSIVE";
            await exclusive.ExecuteNonQueryAsync();
            blocked = await server.Client.PostAsync("/v1/ingest", Json(Body));
        }

        using (blocked)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, blocked.StatusCode);
            Assert.Equal("store_busy", (await ReadAsync(blocked)).GetProperty("error").GetString());
            Assert.NotNull(blocked.Headers.RetryAfter);
        }

        using var retried = await server.Client.PostAsync("/v1/ingest", Json(Body));
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
    }

    [Fact]
    public async Task MalformedJson_NotJson_AndTooLarge_GetClearAnswers()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, new Dictionary<string, string?> { ["Server:MaxRequestBytes"] = "4096" });

        using var malformed = await server.Client.PostAsync("/v1/search", Json("""{"query": "tea" """));
        using var notJson = await server.Client.PostAsync("/v1/search", new StringContent("query=tea", Encoding.UTF8, "text/plain"));
        using var tooLarge = await server.Client.PostAsync("/v1/context", Json($$"""{"prompt":"{{new string('a', 10_000)}}"}"""));
        using var unknownEvent = await server.Client.PostAsync("/v1/events/exploded", Json("{}"));
        using var brokenText = new ByteArrayContent([.. "{\"sessionKey\":\"agent:main:"u8, 0xC3, 0x28, .. "main\"}"u8]);
        brokenText.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var invalidUtf8 = await server.Client.PostAsync("/v1/events/after_compaction", brokenText);

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("malformed", (await ReadAsync(malformed)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownEvent.StatusCode);
        Assert.Contains("after_compaction", (await ReadAsync(unknownEvent)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, invalidUtf8.StatusCode);
        Assert.Contains("$.sessionKey is not valid UTF-8", (await ReadAsync(invalidUtf8)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_ThenSearch_ThenGetAndForget()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);

        using var ingest = await server.Client.PostAsync("/v1/ingest", Json("""
            {"turns":[
              {"agent":"main","session":"s1","id":"m1","role":"user","text":"The spare key is under the blue flower pot.","timestamp":"2026-11-20T10:00:00Z"},
              {"agent":"main","session":"s1","id":"m2","role":"assistant","text":"Noted where the spare key is."}]}
            """));
        var counts = await ReadAsync(ingest);
        using var search = await server.Client.PostAsync("/v1/search", Json("""{"query":"blue flower pot","k":1}"""));
        var hit = (await ReadAsync(search)).GetProperty("hits")[0].GetProperty("memory");
        var id = hit.GetProperty("id").GetInt64();
        using var get = await server.Client.GetAsync($"/v1/memories/{id}");
        using var forget = await server.Client.DeleteAsync($"/v1/memories/{id}");
        using var again = await server.Client.GetAsync($"/v1/memories/{id}");

        Assert.Equal(HttpStatusCode.OK, ingest.StatusCode);
        Assert.Equal(2, counts.GetProperty("added").GetInt64());
        Assert.Equal("m1", hit.GetProperty("entryId").GetString());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, forget.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task PluginCompaction_ThenTranscript_IsOneRecordWithSummaryAndTokens()
    {
        using var dir = new TempDirectory();
        var openClaw = dir.File("openclaw");
        Directory.CreateDirectory(Path.Combine(openClaw, "agents", "main", "sessions"));
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, new Dictionary<string, string?>
        {
            ["OpenClaw:StateDirectory"] = openClaw,
            ["OpenClaw:PollInterval"] = "00:00:30",
        });
        var now = DateTimeOffset.UtcNow;
        var t = new Transcript("s7", now.AddMinutes(-4));
        t.Message("u1", "user", "My locker code is 4471, keep it in mind.");
        t.Message("a1", "assistant", "Will do.");
        t.Message("u2", "user", "Now something else entirely.");

        using var before = await server.Client.PostAsync("/v1/events/before_compaction", Json("""{"sessionKey":"agent:main:main","sessionId":"s7","tokenCount":15000,"messageCount":40}"""));
        using var after = await server.Client.PostAsync("/v1/events/after_compaction", Json("""{"sessionKey":"agent:main:main","sessionId":"s7","messageCount":3,"compactedCount":37}"""));
        var pluginRecord = (await ReadAsync(after)).GetProperty("compactionId").GetInt64();
        t.Compaction("c1", firstKeptEntryId: "u2", summary: "Short summary.", tokensBefore: 15010);
        t.WriteTo(Path.Combine(openClaw, "agents", "main", "sessions", "s7.jsonl"));

        // The file notification alone (the poll is 30 s) must bring the transcript in.
        JsonElement compaction = default;
        for (var i = 0; i < 100; i++)
        {
            using var list = await server.Client.GetAsync("/v1/compactions?agent=main&session=s7");
            var all = (await ReadAsync(list)).GetProperty("compactions");
            if (all.GetArrayLength() == 1 && all[0].TryGetProperty("summary", out _))
            {
                compaction = all[0];
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(JsonValueKind.Object, compaction.ValueKind);
        Assert.Equal(pluginRecord, compaction.GetProperty("id").GetInt64());
        Assert.Equal("Short summary.", compaction.GetProperty("summary").GetString());
        Assert.Equal(15010, compaction.GetProperty("tokensBefore").GetInt64());
        Assert.Equal("agent:main:main", compaction.GetProperty("sessionKey").GetString());
        Assert.Equal("c1", compaction.GetProperty("entryId").GetString());
        // JSONL positions are line numbers: the session header is line 1, u2 (the first kept) line 4.
        Assert.Equal(3, compaction.GetProperty("toSeq").GetInt64());

        using var context = await server.Client.PostAsync("/v1/context", Json("""{"sessionKey":"agent:main:main","sessionId":"s7","prompt":"what is my locker code?"}"""));
        Assert.Contains("4471", (await ReadAsync(context)).GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionEvents_AndContextCalls_TeachTheKeysSessions_SoAResetIsKnownFromItsFirstTurn()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);
        using (var ingest = await server.Client.PostAsync("/v1/ingest", Json("""{"turns":[{"agent":"main","session":"before","id":"u1","role":"user","text":"Please always answer in metric units."}]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, ingest.StatusCode);
        }

        // OpenClaw's before_reset names the session that is ending; the new one's first turn asks for context.
        using var reset = await server.Client.PostAsync("/v1/events/before_reset", Json("""{"sessionKey":"agent:main:main","sessionId":"before","reason":"new"}"""));
        using var started = await server.Client.PostAsync("/v1/events/session_start", Json("""{"sessionKey":"agent:main:telegram:direct:42","sessionId":"dm-1"}"""));
        using var context = await server.Client.PostAsync("/v1/context", Json("""{"sessionKey":"agent:main:main","sessionId":"after","prompt":"hello again"}"""));

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var engine = server.Services.GetRequiredService<MemoryEngine>();
        Assert.Equal(["after", "before"], await engine.SessionKeys.ListAsync("main", "agent:main:main", CancellationToken.None));
        Assert.Equal(["dm-1"], await engine.SessionKeys.ListAsync("main", "agent:main:telegram:direct:42", CancellationToken.None));
        Assert.Equal(("new", "plugin"), (await engine.Resets.LatestAsync("main", "before", CancellationToken.None)) is { } r ? (r.Reason, r.Origin) : default);
        var answer = await ReadAsync(context);
        Assert.Contains("metric units", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.All(answer.GetProperty("items").EnumerateArray(), i => Assert.Equal("reset", i.GetProperty("origin").GetString()));
    }

    [Fact]
    public void DefaultUrls_BindLoopbackOnly()
    {
        var urls = ServerOptions.DefaultUrls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        Assert.NotEmpty(urls);
        Assert.All(urls, url =>
        {
            var host = new Uri(url).Host;
            Assert.True(IPAddress.TryParse(host, out var address), $"{url} must name an IP address, not a host name that could resolve elsewhere");
            Assert.True(IPAddress.IsLoopback(address), $"{url} is not a loopback address");
        });
        Assert.Equal(ServerOptions.DefaultUrls, new ServerOptions().Urls);
    }

    [Fact]
    public async Task Ingest_EmbeddingModelFailsMidBatch_Answers503EmbeddingFailed_StoresNothingOfIt_AndWorksOnceTheModelDoes()
    {
        using var dir = new TempDirectory();
        var failing = new SwitchableEmbedder(embedder.Embedder);
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, configure: services =>
            services.AddSingleton<Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>>(failing));
        static string Batch(string session, params string[] texts) =>
            JsonSerializer.Serialize(new { turns = texts.Select((t, i) => new { agent = "main", session, id = $"{session}-{i}", role = "user", text = t }) });
        using var first = await server.Client.PostAsync("/v1/ingest", Json(Batch("before", "The boiler was serviced in March")));

        failing.Failing = true;
        using var failed = await server.Client.PostAsync("/v1/ingest", Json(Batch("during", "The spare tyre is in the garage", "The garage code is 9182")));
        var error = await ReadAsync(failed);
        using var health = await server.Client.GetAsync("/health");
        var quality = (await ReadAsync(health)).GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "data-quality");
        failing.Failing = false;
        using var again = await server.Client.PostAsync("/v1/ingest", Json(Batch("during", "The spare tyre is in the garage", "The garage code is 9182")));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("embedding_failed", error.GetProperty("error").GetString());
        Assert.Contains("nothing of this batch was stored", error.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.NotNull(failed.Headers.RetryAfter);
        Assert.Equal("degraded", quality.GetProperty("status").GetString());
        Assert.Contains("embedding failed", quality.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(2, (await ReadAsync(again)).GetProperty("added").GetInt32());
        var engine = server.Services.GetRequiredService<MemoryEngine>();
        Assert.Equal(3L, (await engine.GetStatsAsync()).Memories);
    }

    /// <summary>The real model, made to fail on demand the way an embedding endpoint that is down does.</summary>
    private sealed class SwitchableEmbedder(Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>> inner)
        : Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>
    {
        public bool Failing { get; set; }

        public Task<Microsoft.Extensions.AI.GeneratedEmbeddings<Microsoft.Extensions.AI.Embedding<float>>> GenerateAsync(IEnumerable<string> values, Microsoft.Extensions.AI.EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Failing ? throw new HttpRequestException("embedding endpoint http://127.0.0.1:1/v1/embeddings answered 500 Internal Server Error") : inner.GenerateAsync(values, options, cancellationToken);

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

        public void Dispose()
        {
        }
    }
}
