using Microsoft.Data.Sqlite;
using Mnemo.Domain;
using Mnemo.Ingest;
using Mnemo.Storage;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Storage;

/// <summary>
/// The embedded store's full-text index: rebuilt from the memory rows when it is damaged, and a
/// connection kept in the pool while others write searches as a fresh one does.
/// </summary>
[Collection(EmbedderGroup.Name)]
public sealed class FullTextIndexTests(EmbedderFixture embedder)
{
    [Fact]
    public async Task DamagedIndex_IsRebuiltFromTheRows_ByTheStoreAndByMnemoDoctor()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        await using (var engine = await EngineFactory.OpenAsync(data, embedder))
        {
            await new Chat()
                .Say("main", "s1", "user", "The spare key is under the blue flowerpot.", DateTimeOffset.UtcNow.AddDays(-1))
                .Say("main", "s1", "user", "The wifi password is on the fridge.", DateTimeOffset.UtcNow.AddDays(-1).AddMinutes(1))
                .IngestAsync(engine);
            Assert.Single(await engine.Store.SearchTextAsync(["flowerpot"], MemoryFilter.None, 10, CancellationToken.None));
        }

        Damage(Path.Combine(data, "mnemo.db"));
        await using (var engine = await EngineFactory.OpenAsync(data, embedder))
        {
            Assert.Empty(await engine.Store.SearchTextAsync(["flowerpot"], MemoryFilter.None, 10, CancellationToken.None));
        }

        var (exit, stdout, stderr) = await CliProcess.RunAsync(data, "doctor", "--rebuild-fts", "--json");

        Assert.True(exit == 0, stderr);
        Assert.Contains("\"fullTextRebuilt\": 2", stdout, StringComparison.Ordinal);
        Assert.Contains("\"sound\": true", stdout, StringComparison.Ordinal);
        await using (var engine = await EngineFactory.OpenAsync(data, embedder))
        {
            Assert.Single(await engine.Store.SearchTextAsync(["flowerpot"], MemoryFilter.None, 10, CancellationToken.None));
            Assert.Single(await engine.Store.SearchTextAsync(["fridge"], MemoryFilter.None, 10, CancellationToken.None));
        }
    }

    [Fact]
    public async Task PooledConnection_AfterHeavyWriting_ChecksSoundAndSearchesAsAFreshOne()
    {
        using var dir = new TempDirectory();
        var path = dir.File("mnemo.db");
        await using var store = await SqliteMemoryStore.OpenAsync(path, TimeProvider.System, CancellationToken.None);
        var random = new Random(5);
        string[] words = ["harbour", "lantern", "meadow", "copper", "violet", "thunder", "orchard", "pebble"];
        string Sentence() => string.Join(' ', Enumerable.Range(0, 8).Select(_ => words[random.Next(words.Length)]));

        await WriteAsync(store, "s0", [.. Enumerable.Range(0, 50).Select(_ => Sentence())]);

        // A connection that searched once, then stays in the pool while others write and forget a lot.
        await using (var held = await store.OpenConnectionAsync(CancellationToken.None))
        {
            await Matches(held, "harbour");
        }

        for (var batch = 1; batch <= 150; batch++)
        {
            var result = await WriteAsync(store, $"s{batch}", [.. Enumerable.Range(0, 40).Select(_ => Sentence())]);
            await store.ForgetAsync([.. result.Added.Where((_, i) => i % 4 == 0).Select(a => a.Id)], "test", CancellationToken.None);
        }

        Assert.Null(await store.QuickCheckAsync(CancellationToken.None));
        Assert.Equal("ok", await store.CheckIntegrityAsync(CancellationToken.None));
        await using var pooled = await store.OpenConnectionAsync(CancellationToken.None);
        await using var fresh = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await fresh.OpenAsync();
        foreach (var word in words)
        {
            Assert.Equal(await Matches(fresh, word), await Matches(pooled, word));
        }
    }

    private static Task<BatchResult> WriteAsync(SqliteMemoryStore store, string session, IReadOnlyList<string> texts)
    {
        var at = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var memories = texts.Select((text, i) => new NewMemory(
            Hashes.Of("a", session, $"e{i}", "0"), "a", session, $"e{i}", null, 0, i, "user", null, null, false, text,
            NewMemory.DateWords(at), at, "test", Hashes.Of(text), Hashes.Of("m", text))).ToList();
        var embeddings = memories.DistinctBy(m => Convert.ToHexString(m.EmbeddingHash)).Select(m => new StoredEmbedding(m.EmbeddingHash, [0.5f, 0.5f, 0.5f, 0.5f])).ToList();
        return store.WriteBatchAsync(memories, embeddings, "m", null, "test", CancellationToken.None);
    }

    /// <summary>Takes rows out of the full-text index behind the store's back, as a damaged file would.</summary>
    private static void Damage(string database)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO memories_fts(memories_fts) VALUES ('delete-all')";
        command.ExecuteNonQuery();
    }

    private static async Task<List<(long Id, double Score)>> Matches(SqliteConnection connection, string word)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT rowid, bm25(memories_fts) FROM memories_fts WHERE memories_fts MATCH $q ORDER BY 2, rowid LIMIT 50";
        command.Parameters.AddWithValue("$q", word);
        var rows = new List<(long, double)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt64(0), Math.Round(reader.GetDouble(1), 9)));
        }

        return rows;
    }
}
