using System.Net;
using System.Text;
using System.Text.Json;
using Mnemo.Search;
using Mnemo.Tests.Support;
using ModelContextProtocol.Protocol;

namespace Mnemo.Tests.Server;

/// <summary>One cap on how many hits a search may ask for, the same over HTTP, MCP and the CLI.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class SearchLimitTests(EmbedderFixture embedder)
{
    private static readonly string Refused = $"k must be between 1 and {SearchRequest.MaxK}, not {SearchRequest.MaxK + 1}";

    [Fact]
    public async Task Http_AcceptsTheCap_RefusesOneMore()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);

        using var atCap = await server.Client.PostAsync("/v1/search", Body(SearchRequest.MaxK));
        using var over = await server.Client.PostAsync("/v1/search", Body(SearchRequest.MaxK + 1));

        Assert.Equal(HttpStatusCode.OK, atCap.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        using var error = JsonDocument.Parse(await over.Content.ReadAsStringAsync());
        Assert.Equal(Refused, error.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Mcp_AcceptsTheCap_RefusesOneMore()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);
        await using var client = await server.McpClientAsync();

        var atCap = await client.CallToolAsync("memory_search", new Dictionary<string, object?> { ["query"] = "tea", ["k"] = SearchRequest.MaxK });
        var over = await client.CallToolAsync("memory_search", new Dictionary<string, object?> { ["query"] = "tea", ["k"] = SearchRequest.MaxK + 1 });

        Assert.True(atCap.IsError != true, Text(atCap));
        Assert.True(over.IsError == true);
        Assert.Contains(Refused, Text(over), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_AcceptsTheCap_RefusesOneMore()
    {
        using var dir = new TempDirectory();

        var atCap = await CliProcess.RunAsync(dir.Path, "search", "tea", "-k", SearchRequest.MaxK.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var over = await CliProcess.RunAsync(dir.Path, "search", "tea", "-k", (SearchRequest.MaxK + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(0, atCap.ExitCode);
        Assert.NotEqual(0, over.ExitCode);
        Assert.Contains(Refused, over.Stdout + over.Stderr, StringComparison.Ordinal);
    }

    private static StringContent Body(int k) => new($$"""{"query":"tea","k":{{k}}}""", Encoding.UTF8, "application/json");

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));
}
