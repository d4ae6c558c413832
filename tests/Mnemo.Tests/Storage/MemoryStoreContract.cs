using Mnemo.Ingest;
using Mnemo.Postgres;
using Mnemo.Storage;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Storage;

/// <summary>
/// What every memory store must do, run unchanged against each backend: the embedded SQLite store
/// and the shared PostgreSQL one (a real server started for the test run).
/// </summary>
public abstract partial class MemoryStoreContract : IAsyncLifetime
{
    private static readonly DateTimeOffset Day = new(2023, 5, 8, 13, 56, 0, TimeSpan.Zero);
    private IMemoryStore? _store;

    protected IMemoryStore Store => _store ?? throw new InvalidOperationException("not opened");

    protected abstract Task<IMemoryStore> OpenAsync();

    public async Task InitializeAsync() => _store = await OpenAsync();

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    [Fact]
    public async Task WriteBatch_AddsMemories_WithTheirFieldsVectorsAndAuditEvents()
    {
        var (first, second) = (Item("s1", 1, "I adopted a grey cat called Pixel", speaker: "Caroline"), Item("s1", 2, "That is lovely news"));
        var result = await WriteAsync([first, second], cursor: new SourceCursor("chat.jsonl", "jsonl", "42"));

        Assert.Equal(2, result.Added.Count);
        Assert.Equal(0, result.Previous);
        Assert.True(result.Watermark >= 2);
        var stored = await Store.GetMemoriesAsync([.. result.Added.Select(a => a.Id)], CancellationToken.None);
        var cat = Assert.Single(stored, m => m.Text.Contains("Pixel", StringComparison.Ordinal));
        Assert.Equal(("family", "s1", "e1", "user", "Caroline", 1L, 0), (cat.Agent, cat.Session, cat.EntryId, cat.Role, cat.Speaker, cat.Sequence, cat.Chunk));
        Assert.Equal(Day.AddMinutes(1), cat.Timestamp);
        Assert.Equal("42", await Store.GetCursorAsync("chat.jsonl", CancellationToken.None));
        var vectors = await Store.GetVectorsAsync([cat.Id], CancellationToken.None);
        Assert.Equal(Vector(first.Text), vectors[cat.Id]);
        var changes = await Store.GetChangesSinceAsync(0, CancellationToken.None);
        Assert.Equal(["add", "add"], changes.Select(c => c.Action));
        Assert.Equal(result.Added.Select(a => a.Id), changes.Select(c => c.MemoryId));
        var existing = await Store.FindExistingAsync([first.Key, Item("s1", 9, "never written").Key], CancellationToken.None);
        Assert.Equal(first.ContentHash, Assert.Single(existing).Value);
        Assert.Single(await Store.GetEmbeddingsAsync([first.EmbeddingHash], CancellationToken.None));
    }

    [Fact]
    public async Task WriteBatch_SameContentIsUnchanged_ChangedContentUpdatesInPlace()
    {
        var original = Item("s1", 1, "The meeting is on Tuesday");
        var added = await WriteAsync([original]);
        var again = await WriteAsync([original]);
        var edited = await WriteAsync([Item("s1", 1, "The meeting moved to Thursday")]);

        Assert.Equal(1, again.Unchanged);
        Assert.Empty(again.Added);
        var (id, _) = Assert.Single(edited.Updated);
        Assert.Equal(added.Added[0].Id, id);
        Assert.Equal(added.Watermark, edited.Previous);
        Assert.Equal("The meeting moved to Thursday", (await Store.GetMemoriesAsync([id], CancellationToken.None))[0].Text);
        Assert.Equal(["add", "update"], (await Store.GetChangesSinceAsync(0, CancellationToken.None)).Select(c => c.Action));
        Assert.Equal(id, Assert.Single(await Store.SearchTextAsync(["thursday"], MemoryFilter.None, 10, CancellationToken.None)).Id);
        Assert.Empty(await Store.SearchTextAsync(["tuesday"], MemoryFilter.None, 10, CancellationToken.None));
    }

    [Fact]
    public async Task LargeBatches_WriteEveryRowOnce_AndAnOverlappingBatchAddsOnlyTheNewRows()
    {
        var items = Enumerable.Range(1, 400).Select(i => Item("big", i, $"line {i} of a long import")).ToList();

        var first = await WriteAsync(items[..300]);
        var second = await WriteAsync(items);

        Assert.Equal(300, first.Added.Count);
        Assert.Equal((100, 300), (second.Added.Count, second.Unchanged));
        Assert.Equal(400, (await Store.GetStatsAsync(CancellationToken.None)).Memories);
        Assert.Equal(400, (await Store.FindExistingAsync([.. items.Select(i => i.Key)], CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Forget_RemovesTheMemoryItsVectorAndText_AndRecordsTheEvent()
    {
        var result = await WriteAsync([Item("s1", 1, "My locker code is 4512"), Item("s1", 2, "Noted")]);
        var id = result.Added[0].Id;

        var (forgotten, previous, watermark) = await Store.ForgetAsync([id, 999_999], "test", CancellationToken.None);

        Assert.Equal([id], forgotten);
        Assert.Equal(result.Watermark, previous);
        Assert.True(watermark > previous);
        Assert.Empty(await Store.GetMemoriesAsync([id], CancellationToken.None));
        Assert.Empty(await Store.GetVectorsAsync([id], CancellationToken.None));
        Assert.Empty(await Store.SearchTextAsync(["locker"], MemoryFilter.None, 10, CancellationToken.None));
        var last = (await Store.GetChangesSinceAsync(previous, CancellationToken.None)).Single();
        Assert.Equal(("forget", id, watermark), (last.Action, last.MemoryId, last.EventId));
        Assert.Equal((watermark, 1L), await Store.GetWatermarkAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SearchText_MatchesStemsSpeakersAndDates_BestFirst_WithinTheFilter()
    {
        await WriteAsync(
        [
            Item("s1", 1, "We went hiking in the mountains and hiked again the next day"),
            Item("s1", 2, "I like mountains", speaker: "Melanie"),
            Item("s1", 3, "Nothing related here"),
            Item("s2", 1, "Hiking boots are on sale", agent: "work"),
        ]);

        var hits = await Store.SearchTextAsync(["hikes", "mountains"], MemoryFilter.None, 10, CancellationToken.None);
        var texts = (await Store.GetMemoriesAsync([.. hits.Select(h => h.Id)], CancellationToken.None)).ToDictionary(m => m.Id, m => m.Text);

        Assert.Equal(3, hits.Count);
        Assert.StartsWith("We went hiking", texts[hits[0].Id], StringComparison.Ordinal);
        Assert.True(hits[0].Score > hits[^1].Score);
        var filtered = await Store.SearchTextAsync(["hiking"], new MemoryFilter(Agent: "work"), 10, CancellationToken.None);
        Assert.Equal("Hiking boots are on sale", (await Store.GetMemoriesAsync([Assert.Single(filtered).Id], CancellationToken.None))[0].Text);
        var bySpeaker = Assert.Single(await Store.SearchTextAsync(["melanie"], MemoryFilter.None, 10, CancellationToken.None));
        Assert.Equal("I like mountains", (await Store.GetMemoriesAsync([bySpeaker.Id], CancellationToken.None))[0].Text);
        Assert.Equal(4, (await Store.SearchTextAsync(["may"], MemoryFilter.None, 10, CancellationToken.None)).Count);
        Assert.Empty(await Store.SearchTextAsync(["(", "|", "!"], MemoryFilter.None, 10, CancellationToken.None));
    }

    [Fact]
    public async Task RebuildTextIndex_KeepsEveryMemoryFindable_ByWordsSpeakerAndDate()
    {
        await WriteAsync(
        [
            Item("s1", 1, "We went hiking in the mountains", speaker: "Melanie"),
            Item("s1", 2, "The boiler was repaired on Tuesday"),
            Item("s2", 3, "Nothing related here"),
        ]);
        var before = await Store.SearchTextAsync(["mountains", "melanie", "boiler", "may"], MemoryFilter.None, 10, CancellationToken.None);

        var rebuilt = await Store.RebuildTextIndexAsync(CancellationToken.None);
        var after = await Store.SearchTextAsync(["mountains", "melanie", "boiler", "may"], MemoryFilter.None, 10, CancellationToken.None);

        Assert.Equal(3, rebuilt);
        Assert.Equal(before.Select(h => h.Id).Order(), after.Select(h => h.Id).Order());
        Assert.Equal(3, after.Count);
        Assert.Single(await Store.SearchTextAsync(["melanie"], MemoryFilter.None, 10, CancellationToken.None));
        Assert.Null(await Store.QuickCheckAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SearchText_WithTheAllowedIdsAtHand_AnswersAsTheFilterDoes_UpToTheLimit()
    {
        var items = new List<NewMemory>();
        for (var i = 1; i <= 30; i++)
        {
            items.Add(Item("s1", i, $"garden note {i}: the tomatoes{string.Concat(Enumerable.Repeat(" tomatoes", i % 4))} need water", agent: i % 3 == 0 ? "work" : "home"));
        }

        await WriteAsync(items);
        var filter = new MemoryFilter(Agent: "work");
        var allowed = await Store.FilterIdsAsync(filter, null, CancellationToken.None);

        var bySql = await Store.SearchTextAsync(["tomatoes", "water"], filter, 4, CancellationToken.None);
        var bySet = await Store.SearchTextAsync(["tomatoes", "water"], filter, allowed, 4, CancellationToken.None);

        Assert.Equal(10, allowed.Count);
        Assert.Equal(4, bySet.Count);
        Assert.Equal(bySql.Select(h => h.Id), bySet.Select(h => h.Id));
        Assert.All(bySet, h => Assert.Contains(h.Id, allowed));
        Assert.Equal(10, (await Store.SearchTextAsync(["tomatoes"], filter, allowed, 50, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task SessionQueries_NeighboursWindowsAndCounts()
    {
        var ids = (await WriteAsync(
        [
            Item("s1", 1, "first"), Item("s1", 2, "second"), Item("s1", 3, "third"),
            Item("s2", 1, "other session", agent: "work"),
            Item("d", 1, "a digest", role: "digest"),
        ])).Added.Select(a => a.Id).ToList();

        var neighbours = await Store.GetNeighboursAsync([ids[0], ids[1], ids[2]], CancellationToken.None);
        Assert.Equal((null, ids[1]), neighbours[ids[0]]);
        Assert.Equal((ids[0], ids[2]), neighbours[ids[1]]);
        Assert.Equal((ids[1], null), neighbours[ids[2]]);
        Assert.Equal("second", await Store.GetPrecedingTextAsync("family", "s1", 3, CancellationToken.None));
        Assert.Equal(ids[1], await Store.FindIdAsync("family", "s1", "e2", CancellationToken.None));
        var session = await Store.GetSessionMemoriesAsync("family", "s1", 2, null, 10, CancellationToken.None);
        Assert.Equal(["second", "first"], session.Select(s => s.Memory.Text));
        var between = await Store.GetMemoriesBetweenAsync(Day, Day.AddHours(1), null, 10, CancellationToken.None);
        Assert.DoesNotContain(between, b => b.Memory.Role == "digest");
        Assert.Equal(4, between.Count);
        Assert.Equal(["family", "work"], await Store.GetActiveAgentsAsync(Day, Day.AddHours(1), CancellationToken.None));
        Assert.Contains(("family", DateOnly.FromDateTime(Day.UtcDateTime), 3), await Store.CountTurnsPerDayAsync(Day, Day.AddDays(1), CancellationToken.None));
        var found = await Store.FindAsync(new MemoryFilter(Agent: "work"), 10, CancellationToken.None);
        Assert.Equal("other session", Assert.Single(found).Text);
        Assert.Equal(2, (await Store.FilterIdsAsync(new MemoryFilter(Session: "s1", Since: Day.AddMinutes(2)), null, CancellationToken.None)).Count);
        Assert.Equal(ids.Order(), await Store.ReadVectorsAsync(CancellationToken.None).Select(v => v.Id).ToListAsync());
        Assert.Equal(4, (await Store.FindOlderTurnsAsync(Day.AddDays(1), 10, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task EnsureEmbeddingModel_OnAStoreRecordedUnnamed_IsNamedByAModelOfItsSize_AndNoOtherSize()
    {
        // Stores made with an OpenAI-compatible model before it told its name were recorded "unknown".
        await Store.EnsureEmbeddingModelAsync(EmbeddingModelRecord.Unnamed, 4, CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.EnsureEmbeddingModelAsync("nomic-embed", 8, CancellationToken.None));
        Assert.Equal("unknown|4", await Store.GetEmbeddingModelAsync(CancellationToken.None));
        await Store.EnsureEmbeddingModelAsync("nomic-embed", 4, CancellationToken.None);
        Assert.Equal("nomic-embed|4", await Store.GetEmbeddingModelAsync(CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.EnsureEmbeddingModelAsync("other-model", 4, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.EnsureEmbeddingModelAsync(EmbeddingModelRecord.Unnamed, 4, CancellationToken.None));
    }

    [Fact]
    public async Task Metadata_ModelStatsAndChecks()
    {
        await Store.EnsureEmbeddingModelAsync("model-a", 4, CancellationToken.None);
        await WriteAsync([Item("s1", 1, "hello"), Item("s2", 1, "world", agent: "work")]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.EnsureEmbeddingModelAsync("model-b", 4, CancellationToken.None));
        Assert.Equal("model-a|4", await Store.GetEmbeddingModelAsync(CancellationToken.None));
        var stats = await Store.GetStatsAsync(CancellationToken.None);
        Assert.Equal((2L, 2L, 2L, 2L, 2L), (stats.Memories, stats.Sessions, stats.Agents, stats.Embeddings, stats.AuditEvents));
        Assert.True(stats.DatabaseBytes > 0);
        Assert.Null(await Store.QuickCheckAsync(CancellationToken.None));
        Assert.Equal("ok", await Store.CheckIntegrityAsync(CancellationToken.None));
        var (perDay, recent, distinct, empty) = await Store.IngestVolumeAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, CancellationToken.None);
        Assert.Equal((2L, 2L, 0L), (recent, distinct, empty));
        Assert.Equal(2, perDay.Values.Sum());
    }

    private Task<BatchResult> WriteAsync(IReadOnlyList<NewMemory> memories, SourceCursor? cursor = null) =>
        Store.WriteBatchAsync(memories, [.. memories.DistinctBy(m => Convert.ToHexString(m.EmbeddingHash)).Select(m => new StoredEmbedding(m.EmbeddingHash, Vector(m.Text)))], "model-a", cursor, "test", CancellationToken.None);

    private static NewMemory Item(string session, long sequence, string text, string agent = "family", string? speaker = null, string role = "user") => new(
        Hashes.Of(agent, session, $"e{sequence}", "0"), agent, session, $"e{sequence}", null, 0, sequence, role, speaker, null, false, text,
        NewMemory.DateWords(Day.AddMinutes(sequence)), Day.AddMinutes(sequence), "test", Hashes.Of(text), Hashes.Of("model-a", text));

    private static float[] Vector(string text)
    {
        var hash = Hashes.Of(text);
        var vector = new float[] { hash[0] + 1, hash[1] + 1, hash[2] + 1, hash[3] + 1 };
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return [.. vector.Select(v => v / norm)];
    }
}

public sealed class SqliteStoreContract : MemoryStoreContract, IDisposable
{
    private readonly TempDirectory _dir = new();

    protected override async Task<IMemoryStore> OpenAsync() => await SqliteMemoryStore.OpenAsync(_dir.File("mnemo.db"), TimeProvider.System, CancellationToken.None);

    public void Dispose() => _dir.Dispose();
}

[Collection(PostgresGroup.Name)]
public sealed class PostgresStoreContract(PostgresServer server) : MemoryStoreContract
{
    protected override async Task<IMemoryStore> OpenAsync() => await PostgresMemoryStore.OpenAsync(await server.CreateDatabaseAsync(), TimeProvider.System, CancellationToken.None);
}
