using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Cli;

public sealed class CliTests
{
    [Fact]
    public async Task Search_Json_GivesAgentSessionTimeRoleScoreAndSnippet()
    {
        using var dir = new TempDirectory();
        var ingest = await CliProcess.RunAsync(dir.Path, "ingest", SharedData.OpenClawFixtures);
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        Assert.Contains("added", ingest.Stdout, StringComparison.Ordinal);

        var (code, stdout, stderr) = await CliProcess.RunAsync(dir.Path, "search", "what did I say my ticket number was", "-k", "3", "--json");

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var hits = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(3, hits.Count);
        var hit = hits.Single(h => h.GetProperty("text").GetString()!.Contains("ABC-123", StringComparison.Ordinal) && h.GetProperty("role").GetString() == "user");
        Assert.Equal("main", hit.GetProperty("agent").GetString());
        Assert.False(string.IsNullOrEmpty(hit.GetProperty("session").GetString()));
        Assert.StartsWith("2026-11-25T00:23", hit.GetProperty("time").GetString(), StringComparison.Ordinal);
        Assert.True(hit.GetProperty("score").GetDouble() > 0);
        Assert.True(hit.GetProperty("scores").TryGetProperty("vector", out _));
        Assert.True(hit.GetProperty("scores").TryGetProperty("text", out _));
        Assert.True(hit.GetProperty("scores").TryGetProperty("fused", out _));
        Assert.Contains("ABC-123", hit.GetProperty("snippet").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_Json_CountsWhatWasIngested()
    {
        using var dir = new TempDirectory();
        var data = dir.File("fresh");
        await CliProcess.RunAsync(data, "ingest", SharedData.TicketTranscript, "--agent", "home");

        var (code, stdout, _) = await CliProcess.RunAsync(data, "stats", "--json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.True(json.RootElement.GetProperty("memories").GetInt64() > 5);
        Assert.Equal(1, json.RootElement.GetProperty("sessions").GetInt64());
        Assert.Equal(1, json.RootElement.GetProperty("agents").GetInt64());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        }
    }

    [Fact]
    public async Task Ingest_MissingPathAmongGoodOnes_NamesItKeepsTheRestAndExitsOne()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "no-such-dir");

        var (code, stdout, stderr) = await CliProcess.RunAsync(dir.File("data"), "ingest", missing, SharedData.TicketTranscript);

        Assert.Equal(1, code);
        Assert.Contains(missing, stderr, StringComparison.Ordinal);
        Assert.Contains("1 skipped", stdout, StringComparison.Ordinal);
        var stats = await CliProcess.RunAsync(dir.File("data"), "stats", "--json");
        Assert.True(JsonDocument.Parse(stats.Stdout).RootElement.GetProperty("memories").GetInt64() > 5);
    }

    [Fact]
    public async Task Ingest_HonoursRedactionInConfigJson_AsServeDoes()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        Assert.Equal(0, (await CliProcess.RunAsync(data, "stats")).ExitCode);
        var config = Path.Combine(data, "config.json");
        var root = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(config), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        root["Redaction"] = new System.Text.Json.Nodes.JsonObject { ["Secrets"] = true, ["Pii"] = true };
        await File.WriteAllTextAsync(config, root.ToJsonString());
        var chat = dir.File("chat.jsonl");
        await File.WriteAllTextAsync(chat, """{"role":"user","content":"Write to me at ana.silva@example.org about the lease.","session":"s1"}""" + "\n");

        var ingest = await CliProcess.RunAsync(data, "ingest", chat, "--format", "chat-jsonl", "--agent", "home");
        var (_, stdout, _) = await CliProcess.RunAsync(data, "search", "lease", "--json");

        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        Assert.Contains("[redacted email]", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ana.silva@example.org", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_BadArguments_ExitOneWithAMessage()
    {
        using var dir = new TempDirectory();

        var empty = await CliProcess.RunAsync(dir.Path, "search", "  ");
        var badK = await CliProcess.RunAsync(dir.Path, "search", "x", "-k", "0");

        Assert.Equal(1, empty.ExitCode);
        Assert.Contains("empty", empty.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, badK.ExitCode);
        Assert.Contains("-k", badK.Stdout + badK.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_KilledMidway_LeavesAnIntactStoreAndARerunAddsNoDuplicates()
    {
        using var dir = new TempDirectory();
        var input = dir.File("big.jsonl");
        const int Turns = 4000;
        await File.WriteAllLinesAsync(input, Enumerable.Range(1, Turns).Select(i =>
            $"{{\"role\":\"{(i % 2 == 0 ? "assistant" : "user")}\",\"content\":\"Note {i}: the parcel for order {i * 7919 % 100000} arrives on day {i % 28 + 1}.\",\"session\":\"s{i / 500}\",\"agent\":\"bulk\"}}"));
        var data = dir.File("data");
        var database = Path.Combine(data, "mnemo.db");

        using (var process = Process.Start(CliProcess.StartInfo(data, "ingest", input))!)
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (CountMemories(database) < 600 && !process.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.False(process.HasExited, "ingest finished before it could be killed; make the input larger");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var partial = CountMemories(database);
        Assert.InRange(partial, 600, Turns - 1);
        Assert.Equal("ok", Scalar(database, "PRAGMA integrity_check"));

        var rerun = await CliProcess.RunAsync(data, "ingest", input, "--json");

        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.Equal(Turns, CountMemories(database));
        Assert.Equal((long)Turns, Scalar(database, "SELECT COUNT(DISTINCT memory_key) FROM memories"));
        Assert.Equal((long)Turns, Scalar(database, "SELECT COUNT(*) FROM audit_log WHERE action = 'add'"));
        Assert.Equal("ok", Scalar(database, "PRAGMA integrity_check"));
        var search = await CliProcess.RunAsync(data, "search", "parcel order arrives", "-k", "1", "--json");
        Assert.Equal(0, search.ExitCode);
    }

    private static long CountMemories(string database) =>
        File.Exists(database) ? Convert.ToInt64(Scalar(database, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'memories'") is 1L ? Scalar(database, "SELECT COUNT(*) FROM memories") : 0L) : 0;

    private static object? Scalar(string database, string sql)
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 5 }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return command.ExecuteScalar();
        }
        catch (SqliteException)
        {
            return 0L;
        }
    }
}
