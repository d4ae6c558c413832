using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Mnemo.Ingest;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Ingest;

/// <summary>The writer owns what a write leaves behind: the index saved (batched), derived records cleaned.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class MemoryWriterTests(EmbedderFixture embedder)
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

    private static long SavedWatermark(string dataDirectory)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dataDirectory, "index", "vectors.manifest.json")));
        return manifest.RootElement.GetProperty("watermark").GetInt64();
    }

    [Fact]
    public async Task Writes_AreSavedOnceTheSaveDelayPasses_WithoutTheCallerSaving()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(Start);
        await using var engine = await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir.Path }, embedder.Embedder, clock);
        var opened = SavedWatermark(dir.Path);

        await engine.IngestAsync([SharedData.TicketTranscript]);
        await engine.IngestAsync([SharedData.WebhookTranscript]);
        var (watermark, _) = await engine.Store.GetWatermarkAsync(CancellationToken.None);

        // Two writes, no save yet: saving the whole index per write is what the writer batches away.
        Assert.True(watermark > opened);
        Assert.Equal(opened, SavedWatermark(dir.Path));

        clock.Advance(MemoryWriter.SaveDelay);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (SavedWatermark(dir.Path) != watermark && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(watermark, SavedWatermark(dir.Path));
    }

    [Fact]
    public async Task AWriteThatChangesNothing_DoesNotRewriteTheIndexFile()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(Start);
        await using var engine = await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir.Path }, embedder.Embedder, clock);
        await engine.IngestAsync([SharedData.TicketTranscript]);
        var (watermark, _) = await engine.Store.GetWatermarkAsync(CancellationToken.None);
        clock.Advance(MemoryWriter.SaveDelay);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (SavedWatermark(dir.Path) != watermark && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var manifest = Path.Combine(dir.Path, "index", "vectors.manifest.json");
        var saved = File.GetLastWriteTimeUtc(manifest);
        File.SetLastWriteTimeUtc(manifest, saved.AddHours(-1));

        // A live pass over a source with nothing new, as the follower makes every poll.
        var again = await engine.IngestAsync([SharedData.TicketTranscript]);
        clock.Advance(MemoryWriter.SaveDelay);
        await Task.Delay(300);

        Assert.Equal(0, again.Added + again.Updated);
        Assert.Equal(saved.AddHours(-1), File.GetLastWriteTimeUtc(manifest));
    }

    [Fact]
    public async Task Close_SavesWhatTheTimerHadNotYet_SoTheNextOpenUsesTheSavedIndex()
    {
        using var dir = new TempDirectory();
        long memories;
        await using (var engine = await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir.Path }, embedder.Embedder, new FakeTimeProvider(Start)))
        {
            await engine.IngestAsync([SharedData.TicketTranscript]);
            memories = (await engine.GetStatsAsync()).Memories;
        }

        await using var reopened = await EngineFactory.OpenAsync(dir.Path, embedder);

        Assert.Null(reopened.Index.RebuildReason);
        Assert.Equal(memories, reopened.Index.Index.Count);
    }

    [Fact]
    public async Task StoreTurn_ReturnsTheMemoryId_TheSameWhenTheTurnIsAlreadyStored()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder);
        var turn = new Mnemo.Domain.Turn("main", "notes", "n-1", null, "user", "The boiler is serviced every October.", Start, "test", 1, Mnemo.Domain.TurnProvenance.Default);

        var first = await engine.StoreTurnAsync("test#notes", "test", turn);
        var again = await engine.StoreTurnAsync("test#notes", "test", turn);

        Assert.Equal(first, again);
        Assert.Contains("boiler", Assert.Single(await engine.GetMemoriesAsync([first])).Text, StringComparison.Ordinal);
        Assert.Contains(await engine.SearchAsync(new Mnemo.Search.SearchRequest("when is the boiler serviced", 3)), h => h.Memory.Id == first);
    }

    [Fact]
    public async Task Forget_UnpinsTheMemory_ButExpiryLeavesDerivedRecordsAlone()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder);
        var kept = await engine.RememberAsync("main", "The spare key is under the blue pot.", "test");
        var expired = await engine.RememberAsync("main", "The gate code was 4410 last year.", "test");
        await engine.Pins.PinAsync(kept.Id, "main", "test", Start, CancellationToken.None);
        await engine.Pins.PinAsync(expired.Id, "main", "test", Start, CancellationToken.None);

        await engine.ForgetAsync([kept.Id], "test-user");
        await engine.ForgetAsync([expired.Id], "retention", scrubDerived: false, CancellationToken.None);

        var pins = await engine.Pins.ListAsync("main", CancellationToken.None);
        Assert.DoesNotContain(pins, p => p.MemoryId == kept.Id);
        Assert.Contains(pins, p => p.MemoryId == expired.Id);
    }
}
