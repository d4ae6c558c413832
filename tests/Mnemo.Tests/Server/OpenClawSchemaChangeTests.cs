using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Server;

/// <summary>A followed OpenClaw agent database whose layout changes while serve follows it.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class OpenClawSchemaChangeTests(EmbedderFixture embedder)
{
    [Fact]
    public async Task Follow_AgentDatabaseColumnRenamed_HealthNamesTheFile_StoredMemoriesStay_AndOtherSourcesAreStillIngested()
    {
        using var dir = new TempDirectory();
        var openClaw = dir.File("openclaw");
        var db = new OpenClawAgentDatabase(Path.Combine(openClaw, "agents", "home", "agent", "openclaw-agent.sqlite"), "home");
        db.Add("s1", 1, Event("a", "The bins go out on Tuesday"), compress: false);
        db.Add("s1", 2, Event("b", "The recycling goes out on Friday"), compress: true);
        Directory.CreateDirectory(Path.Combine(openClaw, "agents", "main", "sessions"));
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, new Dictionary<string, string?>
        {
            ["OpenClaw:StateDirectory"] = openClaw,
            ["OpenClaw:PollInterval"] = "00:00:00.200",
        });
        var engine = server.Services.GetRequiredService<MemoryEngine>();
        await Eventually.HoldsAsync(async () => (await engine.GetStatsAsync()).Memories == 2);

        using (var connection = new SqliteConnection($"Data Source={db.Path};Pooling=False"))
        {
            connection.Open();
            using var alter = connection.CreateCommand();
            alter.CommandText = "ALTER TABLE transcript_events RENAME COLUMN event_json TO event_text";
            alter.ExecuteNonQuery();
        }

        var other = new Transcript("s9", DateTimeOffset.UtcNow.AddMinutes(-1));
        other.Message("u1", "user", "The plumber comes on Monday at nine");
        other.WriteTo(Path.Combine(openClaw, "agents", "main", "sessions", "s9.jsonl"));
        (string? Status, string? Reason) check = default;
        await Eventually.HoldsAsync(async () =>
        {
            check = await OpenClawCheckAsync(server);
            return check.Status == "degraded" && (await engine.GetStatsAsync()).Memories == 3;
        });

        Assert.Contains(db.Path, check.Reason, StringComparison.Ordinal);
        Assert.Contains("changed underneath", check.Reason, StringComparison.Ordinal);
        var stored = await engine.SearchAsync(new Mnemo.Search.SearchRequest("when do the bins go out", 5, new Mnemo.Storage.MemoryFilter("home", null)));
        Assert.Contains(stored, hit => hit.Memory.Text.Contains("Tuesday", StringComparison.Ordinal));
    }

    private static async Task<(string? Status, string? Reason)> OpenClawCheckAsync(TestServer server)
    {
        using var health = await server.Client.GetAsync("/health");
        var check = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "openclaw");
        return (check.GetProperty("status").GetString(), check.GetProperty("reason").GetString());
    }

    private static string Event(string id, string text) =>
        $"{{\"type\":\"message\",\"id\":\"{id}\",\"parentId\":null,\"timestamp\":\"2026-11-25T00:00:00.000Z\",\"message\":{{\"role\":\"user\",\"content\":\"{text}\"}}}}";
}
