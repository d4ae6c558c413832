using System.Net;
using System.Net.Http.Json;
using Mnemo.Search;
using Mnemo.Tests.Support;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Mnemo.Tests.Security;

/// <summary>
/// A control character in a query (a NUL above all: SQLite ends a string there) is never a server
/// error, on any route that searches: it separates words like a space.
/// </summary>
[Collection(EmbedderGroup.Name)]
public sealed class QueryControlCharacterTests(EmbedderFixture embedder)
{
    /// <summary>Every C0 control, DEL, the C1 next-line and the Unicode line and paragraph separators.</summary>
    public static TheoryData<string> Controls()
    {
        var data = new TheoryData<string>();
        foreach (var c in Enumerable.Range(0, 32).Append(0x7F).Append(0x85).Append(0x2028).Append(0x2029))
        {
            data.Add(((char)c).ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Controls))]
    public void Terms_SplitAtControlCharacters_AndPhrasesNeverCarryOne(string control)
    {
        var terms = QueryText.Terms($"tax{control}return due");

        Assert.Equal(["tax", "return", "due"], terms);
        Assert.All(terms, t => Assert.DoesNotContain(t, char.IsControl));
        Assert.DoesNotContain(QueryText.Phrase($"tax{control}return"), char.IsControl);
    }

    [Fact]
    public async Task EveryRouteThatSearches_AnswersAQueryWithControlCharacters_WithoutAServerError()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);
        using (var ingest = await server.Client.PostAsJsonAsync("/v1/ingest", new
        {
            turns = new[] { new { agent = "main", session = "s1", id = "e1", role = "user", text = "My tax return is due on the 30th of April.", timestamp = DateTimeOffset.UtcNow } },
        }))
        {
            ingest.EnsureSuccessStatusCode();
        }

        await using var mcp = await server.McpClientAsync();

        foreach (var c in Enumerable.Range(0, 32).Append(0x7F).Append(0x85).Append(0x2028).Append(0x2029))
        {
            var query = $"tax{(char)c}return \"{(char)c}\" due";
            using var search = await server.Client.PostAsJsonAsync("/v1/search", new { query });
            using var context = await server.Client.PostAsJsonAsync("/v1/context", new { agentId = "main", sessionId = "s2", prompt = query });
            using var forget = await server.Client.PostAsJsonAsync("/v1/forget", new { query, dryRun = true });
            using var page = await server.Client.GetAsync("/search?q=" + Uri.EscapeDataString(query));
            var tool = await mcp.CallToolAsync("memory_search", new Dictionary<string, object?> { ["query"] = query });

            var label = $"U+{c:X4}";
            Assert.True(search.StatusCode == HttpStatusCode.OK, $"{label} /v1/search: {(int)search.StatusCode} {await search.Content.ReadAsStringAsync()}");
            Assert.True(context.StatusCode == HttpStatusCode.OK, $"{label} /v1/context: {(int)context.StatusCode}");
            Assert.True(forget.StatusCode == HttpStatusCode.OK, $"{label} /v1/forget: {(int)forget.StatusCode}");
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"{label} dashboard search: {(int)page.StatusCode}");
            Assert.True(tool.IsError != true, $"{label} memory_search: {string.Concat(tool.Content.OfType<TextContentBlock>().Select(b => b.Text))}");
            Assert.Contains("30th of April", await search.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
