using Microsoft.Data.Sqlite;
using Mnemo.Domain;
using Mnemo.Search;
using Mnemo.Storage;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Storage;

[Collection(EmbedderGroup.Name)]
public sealed class MemoryEngineTests(EmbedderFixture embedder)
{
    [Fact]
    public async Task IngestAsync_SameInputTwice_AddsNothingTheSecondTime()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder);

        var first = await engine.IngestAsync([SharedData.OpenClawFixtures]);
        var second = await engine.IngestAsync([SharedData.OpenClawFixtures]);

        Assert.True(first.Added > 10);
        Assert.Equal(0, second.Added);
        Assert.Equal(0, second.Embedded);
        Assert.Equal(first.Added, (await engine.GetStatsAsync()).Memories);
    }

    [Fact]
    public async Task IngestAsync_SameTextInAnotherFile_ReusesTheCachedEmbedding()
    {
        using var dir = new TempDirectory();
        var copy = Path.Combine(dir.Path, "copy", "agents", "other", "sessions", "s.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(SharedData.WebhookTranscript, copy);
        await using var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder, o => o with { Chunking = o.Chunking with { ContextChars = 0 } });

        var first = await engine.IngestAsync([SharedData.WebhookTranscript]);
        var second = await engine.IngestAsync([copy]);

        Assert.Equal(first.Added, second.Added);
        Assert.Equal(0, second.Embedded);
    }

    [Fact]
    public async Task SearchAsync_TicketQuestion_FindsTheTurnThatGaveTheTicket()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder);
        await engine.IngestAsync([SharedData.OpenClawFixtures]);

        var hits = await engine.SearchAsync(new SearchRequest("what did I say my ticket number was", 3));

        var hit = Assert.Single(hits, h => h.Memory.Text.Contains("ABC-123", StringComparison.Ordinal) && h.Memory.Role == "user");
        Assert.NotNull(hit.Scores.Text);
        Assert.NotNull(hit.Scores.Vector);
        Assert.Equal(hit.Score, hit.Scores.Fused);
        Assert.Contains("ABC-123", hit.Snippet, StringComparison.Ordinal);
        Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Fact]
    public async Task SearchAsync_WithFilters_ReturnsOnlyMatchingMemories()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder);
        await engine.IngestAsync([SharedData.TicketTranscript], agent: "alpha");
        await engine.IngestAsync([SharedData.WebhookTranscript], agent: "beta");

        var onlyBeta = await engine.SearchAsync(new SearchRequest("ticket backup", 20, new MemoryFilter(Agent: "beta")));
        var onlyAssistant = await engine.SearchAsync(new SearchRequest("ticket", 20, new MemoryFilter(Role: "assistant")));
        var nothingBefore2020 = await engine.SearchAsync(new SearchRequest("ticket", 20, new MemoryFilter(Until: new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero))));

        Assert.NotEmpty(onlyBeta);
        Assert.All(onlyBeta, h => Assert.Equal("beta", h.Memory.Agent));
        Assert.All(onlyAssistant, h => Assert.Equal("assistant", h.Memory.Role));
        Assert.Empty(nothingBefore2020);
    }

    [Fact]
    public async Task IngestTurnsAsync_ChangedTextUnderTheSameEntry_UpdatesInPlaceAndAuditsIt()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder);
        Turn Make(string text) => new("a", "s", "e1", null, "user", text, DateTimeOffset.UnixEpoch, "test", 1, TurnProvenance.Default);

        await engine.IngestTurnsAsync("src", "test", [Make("The meeting room is Orion.")]);
        var again = await engine.IngestTurnsAsync("src", "test", [Make("The meeting room is Orion.")]);
        var changed = await engine.IngestTurnsAsync("src", "test", [Make("The meeting room moved to Vega.")]);

        Assert.Equal((0L, 0L, 1L), (again.Added, again.Updated, again.Unchanged));
        Assert.Equal((0L, 1L), (changed.Added, changed.Updated));
        var stats = await engine.GetStatsAsync();
        Assert.Equal(1, stats.Memories);
        Assert.Equal(1, engine.Index.Index.Count);
        Assert.Equal("The meeting room moved to Vega.", (await engine.SearchAsync(new SearchRequest("meeting room", 5))).Single().Memory.Text);
        Assert.Empty(await engine.SearchAsync(new SearchRequest("Orion", 5, new MemoryFilter(Role: "nobody"))));
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "mnemo.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(action) FROM (SELECT action FROM audit_log ORDER BY id)";
        Assert.Equal("add,update", await command.ExecuteScalarAsync());
        command.CommandText = "SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH 'orion'";
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ForgetAsync_RemovesTextEverywhereAndAuditsWithoutText()
    {
        using var dir = new TempDirectory();
        long id;
        await using (var engine = await EngineFactory.OpenAsync(dir.Path, embedder))
        {
            await engine.IngestAsync([SharedData.TicketTranscript]);
            id = (await engine.SearchAsync(new SearchRequest("hello favourite colour teal ticket ABC-123", 10))).Single(h => h.Memory.Text.StartsWith("Hello!", StringComparison.Ordinal)).Memory.Id;

            var forgotten = await engine.ForgetAsync([id, 999_999], "test-user");

            Assert.Equal([id], forgotten);
            Assert.DoesNotContain(await engine.SearchAsync(new SearchRequest("ABC-123 teal", 50)), h => h.Memory.Id == id);
        }

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "mnemo.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT actor, action FROM audit_log WHERE memory_id = $id ORDER BY id";
        command.Parameters.AddWithValue("$id", id);
        var events = new List<(string, string)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                events.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        Assert.Equal([("ingest", "add"), ("test-user", "forget")], events);
        command.CommandText = "SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH 'hello'";
        Assert.Equal(0L, await command.ExecuteScalarAsync());
        command.CommandText = "DELETE FROM audit_log";
        Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
        command.CommandText = "UPDATE audit_log SET actor = 'x'";
        Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
    }

    [Fact]
    public async Task OpenAsync_IndexFileDeletedOrCorrupted_RebuildsItFromTheStore()
    {
        using var dir = new TempDirectory();
        long count;
        await using (var engine = await EngineFactory.OpenAsync(dir.Path, embedder))
        {
            await engine.IngestAsync([SharedData.OpenClawFixtures]);
            count = engine.Index.Index.Count;
        }

        var indexFile = Path.Combine(dir.Path, "index", "vectors.exact");
        await using (var reopened = await EngineFactory.OpenAsync(dir.Path, embedder))
        {
            Assert.Null(reopened.Index.RebuildReason);
        }

        File.Delete(indexFile);
        await using (var rebuilt = await EngineFactory.OpenAsync(dir.Path, embedder))
        {
            Assert.Equal("index file is missing", rebuilt.Index.RebuildReason);
            Assert.Equal(count, rebuilt.Index.Index.Count);
        }

        await using (var stream = new FileStream(indexFile, FileMode.Open, FileAccess.Write))
        {
            stream.Seek(100, SeekOrigin.Begin);
            stream.Write(new byte[64]);
        }

        await using (var repaired = await EngineFactory.OpenAsync(dir.Path, embedder))
        {
            Assert.Contains("corrupt", repaired.Index.RebuildReason, StringComparison.Ordinal);
            Assert.Equal(count, repaired.Index.Index.Count);
            var hits = await repaired.SearchAsync(new SearchRequest("ticket ABC-123", 3));
            Assert.Contains(hits, h => h.Memory.Text.Contains("ABC-123", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task OpenAsync_StoreChangedAfterIndexWasSaved_CatchesUpFromTheAuditLog()
    {
        using var dir = new TempDirectory();
        await using (var engine = await EngineFactory.OpenAsync(dir.Path, embedder))
        {
            await engine.IngestAsync([SharedData.TicketTranscript]);
        }

        var manifest = Path.Combine(dir.Path, "index", "vectors.manifest.json");
        var savedManifest = await File.ReadAllBytesAsync(manifest);
        var savedIndex = await File.ReadAllBytesAsync(Path.Combine(dir.Path, "index", "vectors.exact"));
        await using (var engine = await EngineFactory.OpenAsync(dir.Path, embedder))
        {
            await engine.IngestAsync([SharedData.WebhookTranscript]);
        }

        // Put the older index back, as if the process died before saving the newer one.
        await File.WriteAllBytesAsync(Path.Combine(dir.Path, "index", "vectors.exact"), savedIndex);
        await File.WriteAllBytesAsync(manifest, savedManifest);
        await using var reopened = await EngineFactory.OpenAsync(dir.Path, embedder);

        Assert.Null(reopened.Index.RebuildReason);
        Assert.Equal((await reopened.GetStatsAsync()).Memories, reopened.Index.Index.Count);
        Assert.Contains(await reopened.SearchAsync(new SearchRequest("nightly backup completed", 3)), h => h.Memory.Untrusted);
    }

    [Fact]
    public async Task OpenAsync_ManyMemories_SwitchesToHnswAndStillFindsThem()
    {
        using var dir = new TempDirectory();
        await using (var engine = await EngineFactory.OpenAsync(dir.Path, embedder, o => o with { Index = o.Index with { HnswThreshold = 10 } }))
        {
            await engine.IngestAsync([SharedData.OpenClawFixtures]);
        }

        await using var reopened = await EngineFactory.OpenAsync(dir.Path, embedder, o => o with { Index = o.Index with { HnswThreshold = 10 } });

        Assert.Equal("hnsw", reopened.Index.Index.Kind);
        Assert.Contains(await reopened.SearchAsync(new SearchRequest("favourite colour teal", 3)), h => h.Memory.Text.Contains("teal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenAsync_HostWithoutAnApproximateIndex_RebuildsTheSavedGraphAsExact_AndStillFinds()
    {
        using var dir = new TempDirectory();
        await using (var engine = await EngineFactory.OpenAsync(dir.Path, embedder, o => o with { Index = o.Index with { HnswThreshold = 10 } }))
        {
            await engine.IngestAsync([SharedData.OpenClawFixtures]);
        }

        await using (var graph = await EngineFactory.OpenAsync(dir.Path, embedder, o => o with { Index = o.Index with { HnswThreshold = 10 } }))
        {
            Assert.Equal("hnsw", graph.Index.Index.Kind);
        }

        await using var plain = await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir.Path, Index = new Mnemo.Indexing.VectorIndexOptions { HnswThreshold = 10 } }, embedder.Embedder);

        Assert.Equal("exact", plain.Index.Index.Kind);
        Assert.Contains("runs no hnsw index", plain.Index.RebuildReason, StringComparison.Ordinal);
        Assert.Contains(await plain.SearchAsync(new SearchRequest("favourite colour teal", 3)), h => h.Memory.Text.Contains("teal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenAsync_DatabaseOfThePreviousRelease_IsMigratedInPlace_KeepingEveryMemory()
    {
        using var dir = new TempDirectory();
        await using (var engine = await EngineFactory.OpenAsync(dir.Path, embedder))
        {
            await engine.IngestAsync([SharedData.OpenClawFixtures]);
        }

        // What the release before context notices left on disk: schema 5, without their table and
        // without the voice queue's node and lease (schema 7), pins (8) and session keys (9).
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "mnemo.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE context_notices; DROP INDEX ix_memories_created; ALTER TABLE voice_jobs DROP COLUMN node; ALTER TABLE voice_jobs DROP COLUMN lease_until; DROP TABLE pins; DROP TABLE session_keys; DROP TABLE session_resets; DROP TABLE voice_senders; PRAGMA user_version = 5;";
            await command.ExecuteNonQueryAsync();
        }

        long before;
        await using (var counting = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "mnemo.db")};Pooling=False"))
        {
            await counting.OpenAsync();
            await using var count = counting.CreateCommand();
            count.CommandText = "SELECT count(*) FROM memories";
            before = (long)(await count.ExecuteScalarAsync())!;
        }

        await using var upgraded = await EngineFactory.OpenAsync(dir.Path, embedder);

        Assert.Equal(before, (await upgraded.GetStatsAsync()).Memories);
        Assert.Contains(await upgraded.SearchAsync(new SearchRequest("favourite colour teal", 3)), h => h.Memory.Text.Contains("teal", StringComparison.Ordinal));
        Assert.Empty(await upgraded.ContextNotices.PendingAsync(DateTimeOffset.MinValue.AddYears(2000), CancellationToken.None));
        await using var check = await upgraded.Local.OpenConnectionAsync(CancellationToken.None);
        await using var version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        Assert.Equal(Mnemo.Storage.Schema.StoreSchema.Steps.Count, Convert.ToInt32(await version.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        await using var lease = check.CreateCommand();
        lease.CommandText = "SELECT count(*) FROM pragma_table_info('voice_jobs') WHERE name IN ('node', 'lease_until')";
        Assert.Equal(2L, await lease.ExecuteScalarAsync());
    }

    [Fact]
    public async Task OpenAsync_DatabaseFromNewerMnemo_RefusesWithAClearMessage()
    {
        using var dir = new TempDirectory();
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "mnemo.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 42";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EngineFactory.OpenAsync(dir.Path, embedder));

        Assert.Contains("schema version 42", error.Message, StringComparison.Ordinal);
    }
}
