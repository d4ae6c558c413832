using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Mnemo.Postgres;
using Mnemo.Tests.Support;
using Npgsql;

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
    public async Task Migrate_KilledPartway_ResumesWhereItStopped_WithoutCopyingTwice_AndEndsVerified()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        var connection = await server.CreateDatabaseAsync();
        Assert.Equal(0, (await CliProcess.RunAsync(data, "ingest", SharedData.TicketTranscript)).ExitCode);
        await AddBulkMemoriesAsync(data, 9000);
        var source = await SourceCountsAsync(data);

        // The second batch of memories is held in the target (a trigger waits on a lock this test
        // holds), so the real process is killed (SIGKILL, no goodbye) with exactly one batch committed.
        var secondBatch = await SecondBatchFirstIdAsync(data);
        await (await PostgresMemoryStore.OpenAsync(connection, TimeProvider.System, CancellationToken.None)).DisposeAsync(); // the schema, for the trigger

        await using var holder = new NpgsqlConnection(connection);
        await holder.OpenAsync();
        await ExecuteAsync(holder, FormattableString.Invariant($"""
            SELECT pg_advisory_lock(4242);
            CREATE FUNCTION test_hold_batch() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN IF NEW.id >= {secondBatch} THEN PERFORM pg_advisory_xact_lock_shared(4242); END IF; RETURN NEW; END $$;
            CREATE TRIGGER test_hold_batch BEFORE INSERT ON memories FOR EACH ROW EXECUTE FUNCTION test_hold_batch();
            """));
        using (var process = Process.Start(CliProcess.StartInfo(data, "migrate", "--to", "postgres", connection))!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while ((await TargetCountsAsync(connection))["memories"] == 0 && !process.HasExited)
            {
                Assert.True(DateTime.UtcNow < deadline, "the first batch was never committed");
                await Task.Delay(100);
            }

            Assert.False(process.HasExited, "the migration ended before it was killed");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        // Released, the killed process's transaction rolls back; dropping the trigger waits for it.
        await ExecuteAsync(holder, "SELECT pg_advisory_unlock(4242); DROP TRIGGER test_hold_batch ON memories; DROP FUNCTION test_hold_batch();");
        var partial = await TargetCountsAsync(connection);
        Assert.Equal(2000, partial["memories"]);
        Assert.Equal(0, partial["audit_log"]);

        var resumed = await CliProcess.RunAsync(data, "migrate", "--to", "postgres", connection, "--json");
        var again = await CliProcess.RunAsync(data, "migrate", "--to", "postgres", connection, "--json");

        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        using var report = JsonDocument.Parse(resumed.Stdout);
        Assert.True(report.RootElement.GetProperty("verified").GetBoolean());
        Assert.Equal(source["memories"] - partial["memories"], report.RootElement.GetProperty("memories").GetInt64());
        Assert.Equal(source["audit_log"] - partial["audit_log"], report.RootElement.GetProperty("auditEvents").GetInt64());
        Assert.Equal(source["embeddings"] - partial["embeddings"], report.RootElement.GetProperty("embeddings").GetInt64());
        Assert.Equal(source, await TargetCountsAsync(connection));
        Assert.Equal(await IdsAsync(new SqliteConnection($"Data Source={Path.Combine(data, "mnemo.db")};Mode=ReadOnly;Pooling=false")), await IdsAsync(new NpgsqlConnection(connection)));

        // Once complete, running it again copies nothing, records included.
        Assert.True(again.ExitCode == 0, again.Stderr);
        using var nothing = JsonDocument.Parse(again.Stdout);
        Assert.True(nothing.RootElement.GetProperty("verified").GetBoolean());
        Assert.Equal(
            (0L, 0L, 0L, 0L),
            (nothing.RootElement.GetProperty("memories").GetInt64(), nothing.RootElement.GetProperty("embeddings").GetInt64(), nothing.RootElement.GetProperty("auditEvents").GetInt64(), nothing.RootElement.GetProperty("records").GetInt64()));
        Assert.Equal(source, await TargetCountsAsync(connection));
    }

    [Fact]
    public async Task Migrate_TargetMissingARow_ExitsTwo_SayingItIsNotVerified()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        var connection = await server.CreateDatabaseAsync();
        Assert.Equal(0, (await CliProcess.RunAsync(data, "ingest", SharedData.TicketTranscript)).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync(data, "migrate", "--to", "postgres", connection)).ExitCode);

        // A row lost from the middle of the target: resuming after the highest id cannot bring it back.
        await using (var db = new NpgsqlConnection(connection))
        {
            await db.OpenAsync();
            await using var delete = new NpgsqlCommand("DELETE FROM memories WHERE id = (SELECT MIN(id) FROM memories)", db);
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        var plain = await CliProcess.RunAsync(data, "migrate", "--to", "postgres", connection);
        var json = await CliProcess.RunAsync(data, "migrate", "--to", "postgres", connection, "--json");

        Assert.Equal(2, plain.ExitCode);
        Assert.Contains("NOT verified", plain.Stdout, StringComparison.Ordinal);
        Assert.Contains("memories: ", plain.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, json.ExitCode);
        using var report = JsonDocument.Parse(json.Stdout);
        Assert.False(report.RootElement.GetProperty("verified").GetBoolean());
        Assert.Contains(report.RootElement.GetProperty("mismatches").EnumerateArray(), m => m.GetString()!.StartsWith("memories: ", StringComparison.Ordinal));
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

    private static readonly string[] CountedTables = ["embeddings", "memories", "audit_log", "cursors", "compactions", "pins"];

    /// <summary>Memories (and their audit events) written straight into the embedded database, all sharing one vector, and a few pins: a store of several batches.</summary>
    private static async Task AddBulkMemoriesAsync(string data, int count)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(data, "mnemo.db")};Pooling=false");
        await db.OpenAsync();
        await using var insert = db.CreateCommand();
        insert.CommandText = """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
            INSERT INTO memories(memory_key, agent, session, entry_id, parent_id, chunk, seq, role, speaker, tool, untrusted, text, ts, source, content_hash, embedding_id, created_at)
            SELECT CAST('bulk-' || i AS BLOB), 'bulk', 'bulk-session', 'e' || i, NULL, 0, i, 'user', NULL, NULL, 0, 'bulk memory number ' || i, 1764000000000 + i, 'test', CAST('hash-' || i AS BLOB),
                   (SELECT MIN(id) FROM embeddings), 1764000000000 + i
            FROM n;
            INSERT INTO audit_log(at, actor, action, memory_id, memory_key) SELECT created_at, 'test', 'add', id, memory_key FROM memories WHERE agent = 'bulk' ORDER BY id;
            INSERT INTO pins(memory_id, agent, pinned_at, who) SELECT id, agent, created_at, 'test' FROM memories WHERE agent = 'bulk' ORDER BY id LIMIT 3;
            """;
        insert.Parameters.AddWithValue("$count", count);
        await insert.ExecuteNonQueryAsync();
    }

    private static async Task<long> SecondBatchFirstIdAsync(string data)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(data, "mnemo.db")};Mode=ReadOnly;Pooling=false");
        await db.OpenAsync();
        await using var read = db.CreateCommand();
        read.CommandText = "SELECT id FROM memories ORDER BY id LIMIT 1 OFFSET 2000";
        return (long)(await read.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<Dictionary<string, long>> SourceCountsAsync(string data)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(data, "mnemo.db")};Mode=ReadOnly;Pooling=false");
        return await CountsAsync(db);
    }

    private static async Task<Dictionary<string, long>> TargetCountsAsync(string connection)
    {
        await using var db = new NpgsqlConnection(connection);
        return await CountsAsync(db);
    }

    private static async Task<Dictionary<string, long>> CountsAsync(DbConnection db)
    {
        await db.OpenAsync();
        var counts = new Dictionary<string, long>();
        foreach (var table in CountedTables)
        {
            await using var count = db.CreateCommand();
            count.CommandText = $"SELECT COUNT(*) FROM {table}";
            counts[table] = Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        return counts;
    }

    /// <summary>Every memory's id with its key, in id order: the same rows, not just as many.</summary>
    private static async Task<string> IdsAsync(DbConnection db)
    {
        await using (db)
        {
            await db.OpenAsync();
            await using var read = db.CreateCommand();
            read.CommandText = "SELECT id, memory_key FROM memories ORDER BY id";
            await using var reader = await read.ExecuteReaderAsync();
            var ids = new System.Text.StringBuilder();
            while (await reader.ReadAsync())
            {
                ids.Append(reader.GetInt64(0)).Append(':').Append(Convert.ToHexString((byte[])reader.GetValue(1))).Append(',');
            }

            return ids.ToString();
        }
    }
}
