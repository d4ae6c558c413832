using System.Text.Json;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Cli;

/// <summary><c>mnemo migrate --to postgres</c> with the real program and a real PostgreSQL server.</summary>
[Collection(PostgresGroup.Name)]
public sealed class MigrateCliTests(PostgresServer server)
{
    [Fact]
    public async Task Migrate_CopiesTheEmbeddedStore_Verified_Resumable_AndTheSharedStoreAnswersSearches()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        var connection = await server.CreateDatabaseAsync();
        var ingest = await CliProcess.RunAsync(data, "ingest", SharedData.OpenClawFixtures);
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);

        var first = await CliProcess.RunAsync(data, "migrate", "--to", "postgres", connection, "--json");
        var again = await CliProcess.RunAsync(data, "migrate", "--to", "postgres", connection, "--json");

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(again.ExitCode == 0, again.Stderr);
        using var report = JsonDocument.Parse(first.Stdout);
        Assert.True(report.RootElement.GetProperty("verified").GetBoolean());
        var memories = report.RootElement.GetProperty("memories").GetInt64();
        Assert.True(memories > 5);
        using var resumed = JsonDocument.Parse(again.Stdout);
        Assert.Equal(0, resumed.RootElement.GetProperty("memories").GetInt64());
        Assert.True(resumed.RootElement.GetProperty("verified").GetBoolean());

        // Another machine with an empty data directory, pointed at the shared store.
        var shared = new Dictionary<string, string> { ["MNEMO_Store__Provider"] = "postgres", ["MNEMO_Store__Connection"] = connection };
        var search = await CliProcess.RunAsync(dir.File("other"), shared, "search", "what did I say my ticket number was");
        var stats = await CliProcess.RunAsync(dir.File("other"), shared, "stats", "--json");
        Assert.True(search.ExitCode == 0, search.Stderr);
        Assert.Contains("ABC-123", search.Stdout, StringComparison.Ordinal);
        using var counts = JsonDocument.Parse(stats.Stdout);
        Assert.Equal(memories, counts.RootElement.GetProperty("memories").GetInt64());
        Assert.Equal(memories, counts.RootElement.GetProperty("indexVectors").GetInt64());

        // The records came along: the fixtures' compactions, with the spans their memories gave them.
        Assert.True(report.RootElement.GetProperty("records").GetInt64() >= 1);
        await using var embedded = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "mnemo.db")};Mode=ReadOnly;Pooling=false");
        await embedded.OpenAsync();
        await using var spans = embedded.CreateCommand();
        spans.CommandText = "SELECT group_concat(from_seq || '-' || to_seq, ',') FROM (SELECT from_seq, to_seq FROM compactions ORDER BY id)";
        var expected = (string)(await spans.ExecuteScalarAsync())!;
        await using var db = new Npgsql.NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var copied = new Npgsql.NpgsqlCommand("SELECT string_agg(from_seq || '-' || to_seq, ',' ORDER BY id) FROM compactions", db);
        Assert.Equal(expected, await copied.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Migrate_RefusesATargetHoldingOtherMemories_AndAnUnknownKind()
    {
        using var dir = new TempDirectory();
        var connection = await server.CreateDatabaseAsync();
        Assert.Equal(0, (await CliProcess.RunAsync(dir.File("one"), "ingest", SharedData.TicketTranscript)).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync(dir.File("one"), "migrate", "--to", "postgres", connection)).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync(dir.File("two"), "ingest", SharedData.WebhookTranscript)).ExitCode);

        var clash = await CliProcess.RunAsync(dir.File("two"), "migrate", "--to", "postgres", connection);
        var unknown = await CliProcess.RunAsync(dir.File("two"), "migrate", "--to", "mysql", connection);

        Assert.NotEqual(0, clash.ExitCode);
        Assert.Contains("migrated from", clash.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("--to postgres", unknown.Stderr, StringComparison.Ordinal);
    }
}
