using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mnemo.Search;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Operations;

/// <summary>Forgetting by session, query, agent or time: every trace goes, the audit log keeps the fact.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class ForgetTests(EmbedderFixture embedder)
{
    private static readonly DateTimeOffset At = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ForgetBySession_RemovesRowsFullTextVectorsAndCachedEmbeddings_TheAuditLogKeepsTheRecordWithoutText()
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder);
        var engine = server.Services.GetRequiredService<MemoryEngine>();
        await new Chat()
            .Say("main", "secret", "user", "Project NIGHTJAR has a budget of 4.2 million and launches in March.", At)
            .Say("main", "secret", "assistant", "Noted: NIGHTJAR, 4.2 million, March launch.", At.AddMinutes(1))
            .Say("main", "other", "user", "The dentist appointment is on Tuesday.", At.AddMinutes(2))
            .IngestAsync(engine);
        var doomed = (await engine.Store.FindAsync(new Mnemo.Storage.MemoryFilter(Session: "secret"), 10, CancellationToken.None)).Select(m => m.Id).ToList();
        var embeddings = await ScalarsAsync(engine, $"SELECT embedding_id FROM memories WHERE id IN ({string.Join(',', doomed)})");
        Assert.Equal(2, doomed.Count);

        using var preview = await server.Client.PostAsync(new Uri("/v1/forget", UriKind.Relative), Json("""{"query":"NIGHTJAR budget","limit":2,"dryRun":true}"""));
        var listed = JsonDocument.Parse(await preview.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.True(listed.GetProperty("dryRun").GetBoolean());
        Assert.Empty(listed.GetProperty("forgotten").EnumerateArray());
        Assert.Equal(doomed.Order(), listed.GetProperty("memories").EnumerateArray().Select(m => m.GetProperty("id").GetInt64()).Order());
        Assert.Equal(2, (await engine.SearchAsync(new SearchRequest("NIGHTJAR", 5))).Count(h => doomed.Contains(h.Memory.Id)));

        using var forget = await server.Client.PostAsync(new Uri("/v1/forget", UriKind.Relative), Json("""{"session":"secret"}"""));
        var done = JsonDocument.Parse(await forget.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(doomed.Order(), done.GetProperty("forgotten").EnumerateArray().Select(e => e.GetInt64()).Order());

        Assert.DoesNotContain(await engine.SearchAsync(new SearchRequest("NIGHTJAR budget March", 10)), h => doomed.Contains(h.Memory.Id));
        Assert.Empty(await engine.GetMemoriesAsync(doomed));
        Assert.Empty(await ScalarsAsync(engine, "SELECT rowid FROM memories_fts WHERE memories_fts MATCH 'NIGHTJAR'"));
        Assert.All(doomed, id => Assert.False(engine.Index.Index.Contains(id)));
        Assert.Empty(await ScalarsAsync(engine, $"SELECT id FROM embeddings WHERE id IN ({string.Join(',', embeddings)})"));
        var audit = await RowsAsync(engine, $"SELECT * FROM audit_log WHERE action = 'forget' AND memory_id IN ({string.Join(',', doomed)})");
        Assert.Equal(2, audit.Count);
        Assert.DoesNotContain(audit, row => row.Contains("NIGHTJAR", StringComparison.Ordinal) || row.Contains("4.2", StringComparison.Ordinal));
        Assert.Single(await engine.SearchAsync(new SearchRequest("dentist appointment", 5)), h => h.Memory.Session == "other");

        using var nothing = await server.Client.PostAsync(new Uri("/v1/forget", UriKind.Relative), Json("{}"));
        Assert.Equal(HttpStatusCode.BadRequest, nothing.StatusCode);
    }

    [Fact]
    public async Task Forget_TakesTheMemoryOutOfDigestsTooAndTheirSearchableCopies_AndDropsSignalsQuotingIt()
    {
        using var dir = new TempDirectory();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(At.AddHours(3));
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder, o => o with { Schedule = new Mnemo.Scheduling.ScheduleOptions { TimeZone = "UTC" } });
        await new Chat()
            .Say("main", "s1", "user", "We decided to fund Project NIGHTJAR with 4.2 million.", At)
            .Say("main", "s1", "user", "We decided the team offsite is in Lisbon.", At.AddMinutes(5))
            .Say("main", "s1", "user", "Where does the NIGHTJAR prototype ship from?", At.AddMinutes(10))
            .IngestAsync(engine);
        using var automation = Automation.Create(engine, null, clock);
        var digest = Assert.Single(await automation.Digests.WriteHourlyAsync(At.AddHours(1), CancellationToken.None));
        await automation.Signals.DetectAsync(clock.GetUtcNow(), CancellationToken.None);
        Assert.Contains("NIGHTJAR", digest.Text, StringComparison.Ordinal);
        Assert.Contains(await automation.Signals.Store.ListAsync(At.AddDays(-1), null, null, 50, CancellationToken.None), s => s.Title.Contains("NIGHTJAR", StringComparison.Ordinal));

        var doomed = (await engine.SelectForForgetAsync(new ForgetSelection(Query: "NIGHTJAR", Limit: 10))).Where(m => m.Role == "user").Select(m => m.Id).ToList();
        await engine.ForgetAsync(doomed, "test");

        var after = await automation.Digests.Store.GetAsync(digest.Id, CancellationToken.None);
        Assert.DoesNotContain("NIGHTJAR", after!.Text, StringComparison.Ordinal);
        Assert.Contains("Lisbon", after.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(await engine.SearchAsync(new SearchRequest("NIGHTJAR", 10)), h => h.Memory.Text.Contains("NIGHTJAR", StringComparison.Ordinal));
        Assert.Contains(await engine.SearchAsync(new SearchRequest("hourly summary offsite Lisbon", 10)), h => h.Memory.Id == digest.MemoryId && h.Memory.Text.Contains("Lisbon", StringComparison.Ordinal));
        Assert.DoesNotContain(await automation.Signals.Store.ListAsync(At.AddDays(-1), null, null, 50, CancellationToken.None), s => s.Title.Contains("NIGHTJAR", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ForgetCommand_PreviewsAsksAndForgets_ByAgentAndTime()
    {
        using var dir = new TempDirectory();
        await using (var engine = await EngineFactory.OpenAsync(dir.Path, embedder))
        {
            await new Chat()
                .Say("travel", "t1", "user", "Book the Lisbon flight, passport number X1234567.", At)
                .Say("travel", "t2", "user", "Hotel in Porto for two nights.", At.AddDays(3))
                .Say("main", "m1", "user", "Renew the domain before December.", At)
                .IngestAsync(engine);
        }

        var (previewCode, preview, _) = await CliProcess.RunAsync(dir.Path, "forget", "--agent", "travel", "--until", At.AddDays(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture), "--dry-run");
        var (refusedCode, _, refused) = await CliProcess.RunAsync(dir.Path, "forget", "--agent", "travel", "--until", At.AddDays(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var (code, output, error) = await CliProcess.RunAsync(dir.Path, "forget", "--agent", "travel", "--until", At.AddDays(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture), "--yes");

        Assert.Equal(0, previewCode);
        Assert.Contains("1 memories match", preview, StringComparison.Ordinal);
        Assert.Contains("passport", preview, StringComparison.Ordinal);
        Assert.Equal(1, refusedCode);
        Assert.Contains("--yes", refused, StringComparison.Ordinal);
        Assert.True(code == 0, output + error);
        Assert.Contains("forgot 1 memories", output, StringComparison.Ordinal);
        await using var after = await EngineFactory.OpenAsync(dir.Path, embedder);
        Assert.Equal(2, (await after.GetStatsAsync()).Memories);
        Assert.DoesNotContain(await after.SearchAsync(new SearchRequest("passport number", 5)), h => h.Memory.Text.Contains("X1234567", StringComparison.Ordinal));
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<List<long>> ScalarsAsync(MemoryEngine engine, string sql)
    {
        var result = new List<long>();
        await using var connection = await engine.Local.OpenConnectionAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add(reader.GetInt64(0));
        }

        return result;
    }

    private static async Task<List<string>> RowsAsync(MemoryEngine engine, string sql)
    {
        var result = new List<string>();
        await using var connection = await engine.Local.OpenConnectionAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var fields = new object[reader.FieldCount];
            reader.GetValues(fields);
            result.Add(string.Join('|', fields.Select(f => f is byte[] b ? Encoding.UTF8.GetString(b) : Convert.ToString(f, System.Globalization.CultureInfo.InvariantCulture))));
        }

        return result;
    }
}
