using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Mnemo.Backups;
using Mnemo.Scheduling;
using Mnemo.Search;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Backups;

/// <summary>Backups made while Mnemo ingests, checked by unpacking them, restored in place, pruned by the job.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class BackupTests(EmbedderFixture embedder)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly string[] Queries = ["billing database migration", "flight to Lisbon", "what does the user prefer"];

    [Fact]
    public async Task Backup_OfALiveStore_UnderConcurrentIngest_VerifiesAndRestoresWithIdenticalSearchResults()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        var backups = new BackupService(data, new BackupOptions(), TimeProvider.System, NullLogger<BackupService>.Instance);
        BackupInfo before;
        BackupInfo during;
        List<List<long>> expected;
        long expectedCount;
        await using (var engine = await EngineFactory.OpenAsync(data, embedder))
        {
            await Conversation("a", 40).IngestAsync(engine);
            await engine.Feedback.RecordAsync(Mnemo.Feedback.FeedbackTarget.Memory, 1, 1, null, "ana", "api", Start, CancellationToken.None);
            expected = await SearchAllAsync(engine);
            expectedCount = (await engine.GetStatsAsync(CancellationToken.None)).Memories;
            before = await backups.CreateAsync("manual", CancellationToken.None);

            // A second backup while another 200 turns go in, batch after batch.
            var ingest = Task.Run(async () =>
            {
                for (var batch = 0; batch < 10; batch++)
                {
                    await Conversation($"b{batch}", 20).IngestAsync(engine);
                }
            });
            await Task.Delay(100);
            during = await backups.CreateAsync("manual", CancellationToken.None);
            await ingest;
            Assert.NotEqual(expected, await SearchAllAsync(engine));
        }

        var duringReport = await backups.VerifyAsync(during.Path, CancellationToken.None);
        Assert.True(duringReport.Ok, string.Join("; ", duringReport.Problems));
        Assert.InRange(during.Manifest.Counts.Memories, expectedCount, expectedCount + 200);
        Assert.Equal(new BackupCounts(expectedCount, 1, 0, 1), before.Manifest.Counts);
        Assert.Equal(["manifest.json", "mnemo.db"], Entries(before.Path));
        Assert.All(before.Manifest.Files, f => Assert.Matches("^[0-9a-f]{64}$", f.Sha256));

        var (report, aside) = await backups.RestoreAsync(before.Path, CancellationToken.None);

        Assert.True(report.Ok);
        Assert.True(File.Exists(Path.Combine(aside, "mnemo.db")), "the replaced database was not kept aside");
        Assert.False(Directory.Exists(Path.Combine(data, "index")), "the old vector index would not match the restored store");
        await using (var restored = await EngineFactory.OpenAsync(data, embedder))
        {
            Assert.Equal(expectedCount, (await restored.GetStatsAsync(CancellationToken.None)).Memories);
            Assert.Equal(expected, await SearchAllAsync(restored));
            Assert.Equal(1, (await restored.Feedback.GetAsync([1], CancellationToken.None))[1].Direct);
        }

        var listed = await backups.ListAsync(CancellationToken.None);
        Assert.Equal([during.Path, before.Path], listed.Select(b => b.Path));
        Assert.All(listed, b => Assert.NotNull(b.VerifiedAt));
    }

    [Fact]
    public async Task Verify_RefusesDamagedAlteredAndForeignArchives_ThroughTheCli_WithANonZeroExit()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        await using (var engine = await EngineFactory.OpenAsync(data, embedder))
        {
            await Conversation("a", 10).IngestAsync(engine);
        }

        var (created, createdOut, createdErr) = await CliProcess.RunAsync(data, "backup", "create");
        Assert.True(created == 0, createdOut + createdErr);
        Assert.Contains("verified", createdOut, StringComparison.Ordinal);
        var good = createdOut.Split('\n')[0].Trim();
        Assert.True(File.Exists(good), createdOut);

        var truncated = dir.File("truncated.tar.gz");
        var bytes = await File.ReadAllBytesAsync(good);
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length / 2)]);
        var altered = dir.File("altered.tar.gz");
        Repack(good, altered, (name, content) => name == "mnemo.db" ? Flip(content, content.Length / 2) : content);
        var foreign = dir.File("foreign.tar.gz");
        Repack(good, foreign, (_, content) => content, extra: ("../escape.txt", "written outside"u8.ToArray()));
        var miscounted = dir.File("miscounted.tar.gz");
        Repack(good, miscounted, (name, content) => name == "manifest.json" ? Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(content).Replace("\"memories\": 10", "\"memories\": 11", StringComparison.Ordinal)) : content);

        var (okCode, okOut, _) = await CliProcess.RunAsync(data, "backup", "verify", good);
        var results = new Dictionary<string, (int Code, string Err)>();
        foreach (var bad in new[] { truncated, altered, foreign, miscounted })
        {
            var (code, _, err) = await CliProcess.RunAsync(data, "backup", "verify", bad);
            results[Path.GetFileName(bad)] = (code, err);
        }

        Assert.Equal(0, okCode);
        Assert.Contains("OK", okOut, StringComparison.Ordinal);
        Assert.All(results.Values, r => Assert.Equal(1, r.Code));
        Assert.Contains("damaged", results["truncated.tar.gz"].Err, StringComparison.Ordinal);
        Assert.Contains("SHA-256", results["altered.tar.gz"].Err, StringComparison.Ordinal);
        Assert.Contains("../escape.txt", results["foreign.tar.gz"].Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "escape.txt")));
        Assert.Contains("manifest says", results["miscounted.tar.gz"].Err, StringComparison.Ordinal);

        // A restore of a bad backup leaves the data alone.
        var (restoreCode, _, restoreErr) = await CliProcess.RunAsync(data, "backup", "restore", altered, "--yes");
        Assert.NotEqual(0, restoreCode);
        Assert.Contains("nothing was restored", restoreErr, StringComparison.Ordinal);
        await using var still = await EngineFactory.OpenAsync(data, embedder);
        Assert.Equal(10, (await still.GetStatsAsync(CancellationToken.None)).Memories);
    }

    [Fact]
    public async Task TheNightlyJob_KeepsSevenDailiesAndFourWeeklies_AndAFailedBackupFailsTheRun()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(Start);
        await using var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder);
        await Conversation("a", 5).IngestAsync(engine);
        using var automation = Automation.Create(engine, null, clock);

        var details = new List<string>();
        for (var night = 0; night < 40; night++)
        {
            var run = await automation.Scheduler.RunNowAsync(JobNames.Backup, CancellationToken.None);
            Assert.True(run.Succeeded, run.Detail);
            details.Add(run.Detail);
            clock.Advance(TimeSpan.FromDays(1));
        }

        var kept = await automation.Backups.ListAsync(CancellationToken.None);
        var now = clock.GetUtcNow();
        Assert.StartsWith("weekly backup", details[0], StringComparison.Ordinal);
        Assert.StartsWith("daily backup", details[1], StringComparison.Ordinal);
        Assert.Contains("verified", details[^1], StringComparison.Ordinal);
        Assert.All(kept.Where(b => b.Manifest.Kind == "daily"), b => Assert.True(b.Manifest.CreatedAt >= now - TimeSpan.FromDays(8)));
        Assert.Equal(7, kept.Count(b => b.Manifest.Kind == "daily"));
        Assert.Equal(4, kept.Count(b => b.Manifest.Kind == "weekly"));

        // The backup folder cannot be written: the run fails (and is retried), saying why.
        var blocked = dir.File("blocked");
        await File.WriteAllTextAsync(blocked, "a file where the folder should be");
        await using var other = await EngineFactory.OpenAsync(dir.File("data2"), embedder, o => o with { Backup = new BackupOptions { Directory = Path.Combine(blocked, "backups") } });
        using var failing = Automation.Create(other, null, clock);
        var failed = await failing.Scheduler.RunNowAsync(JobNames.Backup, CancellationToken.None);
        Assert.False(failed.Succeeded);
        Assert.Contains("backup", failed.Detail, StringComparison.OrdinalIgnoreCase);
    }

    private static Chat Conversation(string session, int turns)
    {
        var chat = new Chat();
        string[] lines =
        [
            "We decided to move the billing database to PostgreSQL 16 next month.",
            "Book the flight to Lisbon on December 12, window seat.",
            "I prefer short answers in the morning.",
            "The staging host is db-staging-2 and the ticket is BILL-4521.",
            "Tomatoes like a sunny spot in the garden.",
        ];
        for (var i = 0; i < turns; i++)
        {
            chat.Say("main", session, i % 2 == 0 ? "user" : "assistant", $"{lines[i % lines.Length]} (note {session}-{i})", Start.AddMinutes(i));
        }

        return chat;
    }

    private static async Task<List<List<long>>> SearchAllAsync(MemoryEngine engine)
    {
        var results = new List<List<long>>();
        foreach (var query in Queries)
        {
            results.Add([.. (await engine.SearchAsync(new SearchRequest(query, 10))).Select(h => h.Memory.Id)]);
        }

        return results;
    }

    private static List<string> Entries(string archive)
    {
        using var input = File.OpenRead(archive);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var names = new List<string>();
        while (tar.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name);
        }

        return names;
    }

    /// <summary>Rewrites a backup archive, changing entries' contents, optionally adding one.</summary>
    private static void Repack(string source, string target, Func<string, byte[], byte[]> change, (string Name, byte[] Content)? extra = null)
    {
        using var input = File.OpenRead(source);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        using var output = File.Create(target);
        using var outZip = new GZipStream(output, CompressionLevel.Fastest);
        using var writer = new TarWriter(outZip, TarEntryFormat.Pax);
        while (reader.GetNextEntry() is { } entry)
        {
            using var buffer = new MemoryStream();
            entry.DataStream!.CopyTo(buffer);
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, entry.Name) { DataStream = new MemoryStream(change(entry.Name, buffer.ToArray())) });
        }

        if (extra is { } add)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, add.Name) { DataStream = new MemoryStream(add.Content) });
        }
    }

    private static byte[] Flip(byte[] content, int at)
    {
        var copy = content.ToArray();
        copy[at] ^= 0xFF;
        return copy;
    }
}
