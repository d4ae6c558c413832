using Mnemo.Tests.Support;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Mnemo.Tests.Server;

/// <summary>Mnemo's MCP tools through the SDK's own client, over both transports.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class McpTests(EmbedderFixture embedder)
{
    private static readonly string[] ToolNames = ["digests", "forget", "memory_get", "memory_search", "recent_compactions", "remember", "signals", "three_pass"];

    private static string Text(CallToolResult result) =>
        string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));

    private static async Task ExerciseToolsAsync(McpClient client)
    {
        var tools = await client.ListToolsAsync();
        Assert.Equal(ToolNames, tools.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray());

        var remembered = await client.CallToolAsync("remember", new Dictionary<string, object?> { ["text"] = "The user's passport expires on 2029-04-17." });
        Assert.True(remembered.IsError != true, Text(remembered));
        var id = long.Parse(Text(remembered).Split(' ')[^1].TrimEnd('.'), System.Globalization.CultureInfo.InvariantCulture);

        var found = await client.CallToolAsync("memory_search", new Dictionary<string, object?> { ["query"] = "when does my passport expire", ["k"] = 3 });
        Assert.True(found.IsError != true, Text(found));
        Assert.Contains($"[memory {id}]", Text(found), StringComparison.Ordinal);
        Assert.Contains("2029-04-17", Text(found), StringComparison.Ordinal);

        var got = await client.CallToolAsync("memory_get", new Dictionary<string, object?> { ["ids"] = new[] { id, 999_999 } });
        Assert.Contains("passport expires", Text(got), StringComparison.Ordinal);
        Assert.Contains("[memory 999999] not found", Text(got), StringComparison.Ordinal);

        var bad = await client.CallToolAsync("memory_search", new Dictionary<string, object?> { ["query"] = "passport", ["k"] = 500 });
        Assert.True(bad.IsError == true);
        Assert.Contains("k must be between 1 and 100", Text(bad), StringComparison.Ordinal);

        var badDate = await client.CallToolAsync("memory_search", new Dictionary<string, object?> { ["query"] = "passport", ["since"] = "last tuesday-ish" });
        Assert.True(badDate.IsError == true);
        Assert.Contains("since", Text(badDate), StringComparison.Ordinal);

        var digests = await client.CallToolAsync("digests", new Dictionary<string, object?> { ["kind"] = "daily" });
        Assert.Equal("No digests yet.", Text(digests));
        var noModel = await client.CallToolAsync("three_pass", new Dictionary<string, object?> { ["task"] = "Summarize the passport facts.", ["query"] = "passport" });
        Assert.True(noModel.IsError == true);
        Assert.Contains("Model:Provider", Text(noModel), StringComparison.Ordinal);

        var compactions = await client.CallToolAsync("recent_compactions", new Dictionary<string, object?>());
        Assert.Equal("No compactions recorded.", Text(compactions));

        var wouldForget = await client.CallToolAsync("forget", new Dictionary<string, object?> { ["query"] = "passport expiry", ["dryRun"] = true });
        Assert.Contains($"[m{id}]", Text(wouldForget), StringComparison.Ordinal);
        Assert.StartsWith("1 memories would be forgotten", Text(wouldForget), StringComparison.Ordinal);
        var forgot = await client.CallToolAsync("forget", new Dictionary<string, object?> { ["ids"] = new[] { id } });
        Assert.Equal($"Forgot memories {id}.", Text(forgot));
        var after = await client.CallToolAsync("memory_search", new Dictionary<string, object?> { ["query"] = "when does my passport expire" });
        Assert.DoesNotContain("2029-04-17", Text(after), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tools_OverStreamableHttp_WithTheToken()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);
        await using var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server.Address, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {server.Settings.Server.Token}" },
        });
        await using var client = await McpClient.CreateAsync(transport);

        await ExerciseToolsAsync(client);
    }

    [Fact]
    public async Task Tools_OverStdio_FromTheMnemoCommand()
    {
        using var dir = new TempDirectory();
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "mnemo",
            Command = "dotnet",
            Arguments = [CliProcess.CliDll, "mcp", "--data-dir", dir.File("data")],
        });
        await using var client = await McpClient.CreateAsync(transport);

        await ExerciseToolsAsync(client);
    }
}
