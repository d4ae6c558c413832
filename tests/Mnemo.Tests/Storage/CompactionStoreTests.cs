using Mnemo.Domain;
using Mnemo.Storage;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Storage;

public sealed class CompactionStoreTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    private static CompactionEvent FromTranscript(string entryId = "c1", DateTimeOffset? at = null) =>
        new("main", "s1", entryId, 40, at ?? At, 15000, 900, "Summary.", "k1", CompactionDetails.Empty, "transcript");

    private static CompactionEvent FromPlugin(DateTimeOffset at, long? tokens = 15100) =>
        new("main", "s1", null, null, at, tokens, null, null, null, CompactionDetails.Empty, "plugin", "agent:main:main");

    [Fact]
    public async Task Record_TranscriptThenPlugin_IsOneRecordWithTheSessionKey()
    {
        using var dir = new TempDirectory();
        await using var store = await SqliteMemoryStore.OpenAsync(dir.File("m.db"), TimeProvider.System, CancellationToken.None);
        var compactions = new CompactionStore(store, TimeProvider.System);

        var (first, firstAdded) = await compactions.RecordAsync(FromTranscript(), CancellationToken.None);
        var (second, secondAdded) = await compactions.RecordAsync(FromPlugin(At.AddSeconds(1)), CancellationToken.None);
        var all = await compactions.ListAsync("main", "s1", null, 10, CancellationToken.None);

        Assert.True(firstAdded);
        Assert.False(secondAdded);
        Assert.Equal(first.Id, second.Id);
        var only = Assert.Single(all);
        Assert.Equal("agent:main:main", only.Event.SessionKey);
        Assert.Equal(15000, only.Event.TokensBefore);
        Assert.Equal("Summary.", only.Event.Summary);
    }

    [Fact]
    public async Task Record_PluginThenTranscript_MergesAndKeepsThePluginsTokensWhenTheEntryHasNone()
    {
        using var dir = new TempDirectory();
        await using var store = await SqliteMemoryStore.OpenAsync(dir.File("m.db"), TimeProvider.System, CancellationToken.None);
        var compactions = new CompactionStore(store, TimeProvider.System);

        await compactions.RecordAsync(FromPlugin(At.AddSeconds(-2)), CancellationToken.None);
        await compactions.RecordAsync(FromTranscript() with { TokensBefore = null }, CancellationToken.None);
        await compactions.RecordAsync(FromTranscript() with { TokensBefore = null }, CancellationToken.None);

        var only = Assert.Single(await compactions.ListAsync("main", null, null, 10, CancellationToken.None));
        Assert.Equal("c1", only.Event.EntryId);
        Assert.Equal(15100, only.Event.TokensBefore);
        Assert.Equal("agent:main:main", only.Event.SessionKey);
    }

    [Fact]
    public async Task Record_RunawayLoop_KeepsEveryCompactionOnce()
    {
        using var dir = new TempDirectory();
        await using var store = await SqliteMemoryStore.OpenAsync(dir.File("m.db"), TimeProvider.System, CancellationToken.None);
        var compactions = new CompactionStore(store, TimeProvider.System);

        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 29; i++)
            {
                await compactions.RecordAsync(FromTranscript($"c{i}", At.AddSeconds(i)) with { Sequence = 100 + i }, CancellationToken.None);
            }
        }

        var all = await compactions.ListAsync("main", "s1", null, 100, CancellationToken.None);
        Assert.Equal(29, all.Count);
        Assert.Equal("c28", all[0].Event.EntryId);
    }
}
