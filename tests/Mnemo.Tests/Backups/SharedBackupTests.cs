using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Mnemo.Backups;
using Mnemo.Digests;
using Mnemo.Domain;
using Mnemo.Postgres;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Backups;

/// <summary>Backups of the shared PostgreSQL store: pg_dump into the archive, read back with pg_restore to verify.</summary>
[Collection(PostgresGroup.Name)]
public sealed class SharedBackupTests(PostgresServer server, EmbedderFixture embedder)
{

    [Fact]
    public async Task Backup_OfThePostgresStore_HoldsADumpWhoseRowsMatchTheManifest_AndTamperingOrRestoringInPlaceIsRefused()
    {
        using var dir = new TempDirectory();
        var connection = await server.CreateDatabaseAsync();
        var data = dir.File("data");
        await using var engine = await MemoryEngines.OpenAsync(new MnemoOptions { DataDirectory = data, Store = new StoreOptions { Provider = "postgres", Connection = connection } }, embedder.Embedder);
        var now = DateTimeOffset.UtcNow;
        await engine.IngestTurnsAsync("chat", "test", [.. Enumerable.Range(1, 30).Select(i => new Turn("family", i <= 20 ? "s1" : "s2", $"t{i}", null, "user", $"note {i}: the\tferry\nleaves at {i}", now, "test", now.ToUnixTimeMilliseconds() + i, TurnProvenance.Default))]);
        await new DigestStore(engine.Records).AddAsync(new Digest(0, DigestKind.Daily, "family", now.AddDays(-1), now, "extractive", "text", [], 30, null, null, now, null), CancellationToken.None);
        await engine.Feedback.RecordAsync(Mnemo.Feedback.FeedbackTarget.Memory, 1, 1, null, "ann", "telegram", now, CancellationToken.None);
        var backups = new BackupService(data, new BackupOptions(), TimeProvider.System, NullLogger<BackupService>.Instance, new PostgresBackup(connection));

        var made = await backups.CreateAsync("manual", CancellationToken.None);
        var report = await backups.VerifyAsync(made.Path, CancellationToken.None);

        Assert.True(report.Ok, string.Join("; ", report.Problems));
        Assert.Equal(new BackupCounts(30, 2, 1, 1), made.Manifest.Counts);
        Assert.Contains(made.Manifest.Files, f => f.Name == BackupService.SharedDumpName && f.Bytes > 0);
        Assert.True(made.Manifest.SchemaVersion >= 3);
        var restore = await Assert.ThrowsAsync<BackupException>(() => backups.RestoreAsync(made.Path, CancellationToken.None));
        Assert.Contains("pg_restore --clean", restore.Message, StringComparison.Ordinal);

        // Without the shared store configured, the archive is recognised but cannot be checked here.
        var elsewhere = await new BackupService(dir.File("other"), new BackupOptions(), TimeProvider.System, NullLogger<BackupService>.Instance).VerifyAsync(made.Path, CancellationToken.None);
        Assert.Contains(elsewhere.Problems, p => p.Contains("PostgreSQL", StringComparison.Ordinal));

        // Archives rebuilt with consistent checksums, so only reading the dump itself can tell:
        // a damaged dump, and a manifest that claims a memory the dump does not hold.
        var damaged = await RewriteAsync(made.Path, dir.File("damaged.tar.gz"), bytes => Array.Fill(bytes, (byte)'x', 0, 64), m => m);
        var inflated = await RewriteAsync(made.Path, dir.File("inflated.tar.gz"), _ => { }, m => m with { Counts = m.Counts with { Memories = 31 } });
        Assert.Contains((await backups.VerifyAsync(damaged, CancellationToken.None)).Problems, p => p.Contains("pg_restore cannot read", StringComparison.Ordinal));
        Assert.Contains((await backups.VerifyAsync(inflated, CancellationToken.None)).Problems, p => p.Contains("the dump holds", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BackupHealth_OnANodeThatDidNotRunTheJob_ComesFromTheSharedJobHistory()
    {
        using var dir = new TempDirectory();
        await using var store = await PostgresMemoryStore.OpenAsync(await server.CreateDatabaseAsync(), TimeProvider.System, CancellationToken.None);
        var jobs = new Mnemo.Scheduling.JobStore(store);
        var backups = new BackupService(dir.File("node-b"), new BackupOptions(), TimeProvider.System, NullLogger<BackupService>.Instance, new PostgresBackup(server.ConnectionString("postgres")));
        var check = new Mnemo.Health.BackupHealthCheck(backups, new Mnemo.Scheduling.ScheduleOptions(), new Mnemo.Health.HealthOptions(), TimeProvider.System, jobs);
        var context = new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext();

        var before = await check.CheckHealthAsync(context);
        var now = DateTimeOffset.UtcNow;
        await jobs.TryAcquireAsync(Mnemo.Scheduling.JobNames.Backup, "node-a", now, now.AddMinutes(5), CancellationToken.None);
        await jobs.CompleteAsync(new Mnemo.Scheduling.JobRun(Mnemo.Scheduling.JobNames.Backup, now, 1, Mnemo.Scheduling.JobTrigger.Schedule, now.AddSeconds(-3), now, true, "daily backup mnemo-x.tar.gz verified"), "node-a", now.AddDays(1), 0, CancellationToken.None);
        var after = await check.CheckHealthAsync(context);

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, before.Status);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, after.Status);
        Assert.Contains("mnemo-x.tar.gz", after.Description, StringComparison.Ordinal);
    }

    /// <summary>Copies a backup with its dump and manifest altered, the manifest's checksums made to match again.</summary>
    private static async Task<string> RewriteAsync(string source, string target, Action<byte[]> alterDump, Func<BackupManifest, BackupManifest> alterManifest)
    {
        var files = new Dictionary<string, byte[]>();
        await using (var input = File.OpenRead(source))
        await using (var gzipIn = new GZipStream(input, CompressionMode.Decompress))
        await using (var reader = new TarReader(gzipIn))
        {
            while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
            {
                using var buffer = new MemoryStream();
                await entry.DataStream!.CopyToAsync(buffer);
                files[entry.Name] = buffer.ToArray();
            }
        }

        alterDump(files[BackupService.SharedDumpName]);
        var manifest = JsonSerializer.Deserialize(files[BackupService.ManifestName], BackupJsonContext.Default.BackupManifest)!;
        manifest = alterManifest(manifest) with
        {
            Files = [.. manifest.Files.Select(f => f with { Bytes = files[f.Name].Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(files[f.Name])) })],
        };
        files[BackupService.ManifestName] = JsonSerializer.SerializeToUtf8Bytes(manifest, BackupJsonContext.Default.BackupManifest);
        await using var output = File.Create(target);
        await using var gzipOut = new GZipStream(output, CompressionLevel.Fastest);
        await using var writer = new TarWriter(gzipOut, TarEntryFormat.Pax);
        foreach (var (name, bytes) in files.OrderBy(f => f.Key == BackupService.ManifestName ? 0 : 1))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) });
        }

        return target;
    }
}
