using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Server;

/// <summary>The real web host on the postgres provider while its PostgreSQL server goes away and comes back.</summary>
[Collection(PostgresGroup.Name)]
public sealed class SharedStoreHttpTests(EmbedderFixture embedder)
{
    private const string Ingest = """{"turns":[{"agent":"main","session":"outage","id":"1","role":"user","text":"The boiler service is booked for the ninth"}]}""";
    private const string Search = """{"query":"when is the boiler service","limit":3}""";

    [Fact]
    public async Task Requests_WhileTheDatabaseIsDown_Answer503StoreUnavailableNamingTheStoreWithinSeconds_AndSucceedWhenItIsBack()
    {
        // A server of this test's own: stopping the shared one would pull it from under the others.
        await using var database = new PostgresServer();
        await database.InitializeAsync();
        var connection = await database.CreateDatabaseAsync();
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, new Dictionary<string, string?>
        {
            ["Store:Provider"] = "postgres",
            ["Store:Connection"] = connection,
            ["Store:Node"] = "http-node",
        });
        using (var before = await server.Client.PostAsync("/v1/search", Json(Search)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await database.StopAsync();
        var clock = Stopwatch.StartNew();
        using var ingest = await server.Client.PostAsync("/v1/ingest", Json(Ingest));
        var ingestTook = clock.Elapsed;
        clock.Restart();
        using var search = await server.Client.PostAsync("/v1/search", Json(Search));
        var searchTook = clock.Elapsed;

        foreach (var (response, took) in new[] { (ingest, ingestTook), (search, searchTook) })
        {
            var error = await ReadAsync(response);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("store_unavailable", error.GetProperty("error").GetString());
            Assert.Contains(FormattableString.Invariant($"postgres://127.0.0.1:{database.Port}/"), error.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.True(took < TimeSpan.FromSeconds(12), $"{response.RequestMessage!.RequestUri} waited {took} instead of failing");
        }

        // Back: the very same requests succeed, with no restart of the node.
        await database.StartAsync();
        using var ingestAgain = await server.Client.PostAsync("/v1/ingest", Json(Ingest));
        using var searchAgain = await server.Client.PostAsync("/v1/search", Json(Search));

        Assert.True(ingestAgain.StatusCode == HttpStatusCode.OK, await ingestAgain.Content.ReadAsStringAsync());
        Assert.True(searchAgain.StatusCode == HttpStatusCode.OK, await searchAgain.Content.ReadAsStringAsync());
        Assert.Contains("boiler service", await searchAgain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
