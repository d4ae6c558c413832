using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Mnemo.Backups;

/// <summary>A file inside a backup, with its size and SHA-256 (lowercase hex).</summary>
public sealed record BackupFile(string Name, long Bytes, string Sha256);

/// <summary>What a backup held when it was made, for verify to check against.</summary>
public sealed record BackupCounts(long Memories, long Sessions, long Digests, long Feedback);

/// <summary>The first entry of every backup archive.</summary>
/// <param name="Kind"><c>daily</c>, <c>weekly</c> (both made by the job) or <c>manual</c>.</param>
public sealed record BackupManifest(int Format, string Kind, DateTimeOffset CreatedAt, int SchemaVersion, string MnemoVersion, IReadOnlyList<BackupFile> Files, BackupCounts Counts);

/// <summary>A backup on disk.</summary>
/// <param name="VerifiedAt">When <c>backup verify</c> last passed on it; null when never.</param>
public sealed record BackupInfo(string Path, long Bytes, BackupManifest Manifest, DateTimeOffset? VerifiedAt);

/// <summary>What verify found: nothing when the backup restores as it was made.</summary>
public sealed record BackupReport(string Path, BackupManifest? Manifest, IReadOnlyList<string> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>A backup could not be made or restored; the message says why.</summary>
public sealed class BackupException : Exception
{
    public BackupException()
    {
    }

    public BackupException(string message)
        : base(message)
    {
    }

    public BackupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(BackupManifest))]
internal sealed partial class BackupJsonContext : JsonSerializerContext;

/// <summary>
/// Backups of the data directory that restore: the database copied online with SQLite's
/// <c>VACUUM INTO</c> (a consistent snapshot taken inside one read transaction, so ingest goes on
/// meanwhile; never a file copy of a live database), the config beside it, a manifest with every
/// file's SHA-256 and the counts of what was in it, all in one <c>.tar.gz</c> (System.Formats.Tar
/// and GZip from the BCL). The vector index is left out: it is derived from the database and
/// rebuilt from it on the first start after a restore.
/// </summary>
/// <summary>
/// The snapshot of a store that does not live in the data directory (PostgreSQL, shared by several
/// nodes): written into a backup beside the config, and checked when the backup is verified.
/// </summary>
public interface ISharedBackup
{
    /// <summary>The snapshot's name inside the archive.</summary>
    string FileName { get; }

    /// <summary>Where the store is, for messages (no password).</summary>
    string Location { get; }

    /// <summary>Writes a consistent snapshot to <paramref name="target"/>; returns the schema version and what it holds.</summary>
    Task<(int Schema, BackupCounts Counts)> DumpAsync(string target, CancellationToken cancellationToken);

    /// <summary>Checks an unpacked snapshot against the manifest, adding what is wrong to <paramref name="problems"/>.</summary>
    Task CheckAsync(string file, BackupManifest manifest, List<string> problems, CancellationToken cancellationToken);
}

/// <param name="shared">The shared store's snapshot, when the memories are not in this data directory.</param>
public sealed partial class BackupService(string dataDirectory, BackupOptions options, TimeProvider time, ILogger<BackupService> logger, ISharedBackup? shared = null)
{
    /// <summary>The name a PostgreSQL snapshot has inside a backup (pg_dump's custom format).</summary>
    public const string SharedDumpName = "mnemo.pgdump";

    public const string ManifestName = "manifest.json";
    public const string DatabaseName = "mnemo.db";
    public const string ConfigName = "config.json";
    private const int Format = 1;
    private const string Extension = ".tar.gz";
    private static readonly string[] Kinds = ["daily", "weekly", "manual"];

    public string Directory => options.ResolveDirectory(dataDirectory);

    private string DatabasePath => Path.Combine(dataDirectory, DatabaseName);

    /// <summary>Makes a backup now, while Mnemo may be running and ingesting.</summary>
    /// <exception cref="BackupException">There is no database, or the snapshot could not be written (disk full, permissions).</exception>
    public async Task<BackupInfo> CreateAsync(string kind, CancellationToken cancellationToken)
    {
        if (!Kinds.Contains(kind))
        {
            throw new ArgumentException($"'{kind}' is not a kind of backup; use {string.Join(", ", Kinds)}", nameof(kind));
        }

        if (shared is null && !File.Exists(DatabasePath))
        {
            throw new BackupException($"there is no database to back up at {DatabasePath}");
        }

        var now = time.GetUtcNow();
        var final = Path.Combine(Directory, $"mnemo-{now.UtcDateTime:yyyyMMdd-HHmmss-fff}-{kind}{Extension}");
        var staging = Path.Combine(Directory, $".staging-{Guid.NewGuid():N}");
        var partial = final + ".partial";
        try
        {
            Mnemo.DataDirectory.Ensure(Directory);
            System.IO.Directory.CreateDirectory(staging);
            int schema;
            BackupCounts counts;
            if (shared is not null)
            {
                (schema, counts) = await shared.DumpAsync(Path.Combine(staging, shared.FileName), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var snapshot = Path.Combine(staging, DatabaseName);
                await using (var live = await OpenAsync(DatabasePath, SqliteOpenMode.ReadWrite, cancellationToken).ConfigureAwait(false))
                {
                    await using var vacuum = live.CreateCommand();
                    vacuum.CommandText = "VACUUM INTO $path";
                    vacuum.Parameters.AddWithValue("$path", snapshot);
                    await vacuum.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                (schema, counts) = await DescribeAsync(snapshot, cancellationToken).ConfigureAwait(false);
            }
            var config = Path.Combine(dataDirectory, ConfigName);
            if (File.Exists(config))
            {
                File.Copy(config, Path.Combine(staging, ConfigName));
            }

            var files = new List<BackupFile>();
            foreach (var name in new[] { DatabaseName, SharedDumpName, ConfigName }.Where(n => File.Exists(Path.Combine(staging, n))))
            {
                files.Add(new BackupFile(name, new FileInfo(Path.Combine(staging, name)).Length, await HashAsync(Path.Combine(staging, name), cancellationToken).ConfigureAwait(false)));
            }

            var manifest = new BackupManifest(Format, kind, now, schema, typeof(BackupService).Assembly.GetName().Version?.ToString() ?? "0", files, counts);
            await File.WriteAllBytesAsync(Path.Combine(staging, ManifestName), JsonSerializer.SerializeToUtf8Bytes(manifest, BackupJsonContext.Default.BackupManifest), cancellationToken).ConfigureAwait(false);

            await using (var output = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                if (!OperatingSystem.IsWindows())
                {
                    // The backup holds everything the data directory does: only its owner may read it.
                    File.SetUnixFileMode(output.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                await using var gzip = new GZipStream(output, CompressionLevel.Optimal);
                await using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: false);
                foreach (var name in new[] { ManifestName }.Concat(files.Select(f => f.Name)))
                {
                    await tar.WriteEntryAsync(Path.Combine(staging, name), name, cancellationToken).ConfigureAwait(false);
                }
            }

            // Flushed and closed: only now does it get its real name.
            File.Move(partial, final);
            var info = new BackupInfo(final, new FileInfo(final).Length, manifest, null);
            Log.Created(logger, final, info.Bytes, counts.Memories);
            return info;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SqliteException)
        {
            // SQLite says only "disk I/O error" when VACUUM INTO runs out of room: say what it likely means.
            var cause = Mnemo.Storage.StoreFullException.IsOutOfSpace(ex)
                ? $"the snapshot could not be written: the disk holding the backups is full, a file-size limit was reached, or the disk failed ({ex.Message.TrimEnd('.')})"
                : ex.Message;
            throw new BackupException($"the backup to {final} failed: {cause}; the partial backup is removed and the store is untouched", ex);
        }
        finally
        {
            TryDelete(partial);
            TryDeleteDirectory(staging);
        }
    }

    /// <summary>
    /// Unpacks the backup into a temporary directory and checks it restores as made: every file's
    /// checksum, SQLite's integrity check, the counts against the manifest and a sample full-text
    /// search. Records when it passed, next to the backup.
    /// </summary>
    public async Task<BackupReport> VerifyAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var problems = new List<string>();
        if (!File.Exists(path))
        {
            return new BackupReport(path, null, [$"{path} does not exist"]);
        }

        var scratch = System.IO.Directory.CreateTempSubdirectory("mnemo-verify-");
        try
        {
            var manifest = await UnpackAsync(path, scratch.FullName, problems, cancellationToken).ConfigureAwait(false);
            if (manifest is null)
            {
                return new BackupReport(path, null, problems);
            }

            foreach (var file in manifest.Files)
            {
                var unpacked = Path.Combine(scratch.FullName, file.Name);
                if (!File.Exists(unpacked))
                {
                    problems.Add($"{file.Name} is in the manifest but not in the archive");
                }
                else if (new FileInfo(unpacked).Length != file.Bytes || await HashAsync(unpacked, cancellationToken).ConfigureAwait(false) != file.Sha256)
                {
                    problems.Add($"{file.Name} does not match its SHA-256 in the manifest (damaged or altered)");
                }
            }

            var database = Path.Combine(scratch.FullName, DatabaseName);
            var dump = Path.Combine(scratch.FullName, SharedDumpName);
            if (problems.Count == 0 && File.Exists(database))
            {
                await CheckDatabaseAsync(database, manifest, problems, cancellationToken).ConfigureAwait(false);
            }
            else if (problems.Count == 0 && File.Exists(dump))
            {
                if (shared is null)
                {
                    problems.Add("this is a backup of a PostgreSQL store: verify it on a node configured for that store (Store:Provider postgres), where pg_restore can read it");
                }
                else
                {
                    await shared.CheckAsync(dump, manifest, problems, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (!manifest.Files.Any(f => f.Name is DatabaseName or SharedDumpName))
            {
                problems.Add("the backup holds no database");
            }

            if (problems.Count == 0)
            {
                await TryMarkVerifiedAsync(path).ConfigureAwait(false);
            }
            else
            {
                Log.VerifyFailed(logger, path, problems[0]);
            }

            return new BackupReport(path, manifest, problems);
        }
        finally
        {
            TryDeleteDirectory(scratch.FullName);
        }
    }

    /// <summary>
    /// Replaces the data directory's database and config with the backup's, after verifying it.
    /// What it replaces is kept aside (returned) so the restore can be undone; the vector index is
    /// moved aside too and rebuilt from the restored database on the next start. Mnemo must not be
    /// running on this data directory.
    /// </summary>
    /// <exception cref="BackupException">The backup failed verification, or the files could not be swapped.</exception>
    public async Task<(BackupReport Report, string Aside)> RestoreAsync(string path, CancellationToken cancellationToken)
    {
        var report = await VerifyAsync(path, cancellationToken).ConfigureAwait(false);
        if (!report.Ok)
        {
            throw new BackupException($"{path} failed verification, nothing was restored: {string.Join("; ", report.Problems)}");
        }

        if (report.Manifest!.Files.Any(f => f.Name == SharedDumpName))
        {
            // Several nodes use that database: only its operator can know they are all stopped.
            throw new BackupException(
                $"{path} is a backup of a PostgreSQL store, which mnemo does not restore itself: stop every node, unpack it (tar -xzf) and run " +
                $"pg_restore --clean --if-exists --no-owner -d <database> {SharedDumpName}; the nodes rebuild their vector indexes when they start");
        }

        var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var incoming = Path.Combine(dataDirectory, $".restore-{stamp}");
        var aside = Path.Combine(dataDirectory, $"before-restore-{stamp}");
        try
        {
            // Unpacked inside the data directory, so every swap below is a rename on one file system.
            System.IO.Directory.CreateDirectory(incoming);
            System.IO.Directory.CreateDirectory(aside);
            if (await UnpackAsync(path, incoming, [], cancellationToken).ConfigureAwait(false) is null)
            {
                throw new BackupException($"{path} could not be unpacked a second time");
            }

            if (File.Exists(DatabasePath))
            {
                // Everything in the write-ahead log goes into the database file first, so the file set aside is whole.
                await using (var current = await OpenAsync(DatabasePath, SqliteOpenMode.ReadWrite, cancellationToken).ConfigureAwait(false))
                {
                    await using var checkpoint = current.CreateCommand();
                    checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                    await checkpoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                foreach (var suffix in new[] { "-wal", "-shm" })
                {
                    if (File.Exists(DatabasePath + suffix))
                    {
                        File.Move(DatabasePath + suffix, Path.Combine(aside, DatabaseName + suffix));
                    }
                }
            }

            foreach (var name in new[] { DatabaseName, ConfigName })
            {
                var source = Path.Combine(incoming, name);
                var target = Path.Combine(dataDirectory, name);
                if (!File.Exists(source))
                {
                    continue;
                }

                if (File.Exists(target))
                {
                    // rename(2) over the old file: the path never lacks a whole file.
                    File.Replace(source, target, Path.Combine(aside, name));
                }
                else
                {
                    File.Move(source, target);
                }
            }

            var index = Path.Combine(dataDirectory, "index");
            if (System.IO.Directory.Exists(index))
            {
                System.IO.Directory.Move(index, Path.Combine(aside, "index"));
            }

            Log.Restored(logger, path, aside);
            return (report, aside);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SqliteException)
        {
            throw new BackupException($"restoring {path} failed: {ex.Message}; what was replaced so far is in {aside}", ex);
        }
        finally
        {
            TryDeleteDirectory(incoming);
        }
    }

    /// <summary>The backups in the backup folder, newest first.</summary>
    public async Task<IReadOnlyList<BackupInfo>> ListAsync(CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        var backups = new List<BackupInfo>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "mnemo-*" + Extension))
        {
            if (await ReadManifestAsync(path, cancellationToken).ConfigureAwait(false) is { } manifest)
            {
                backups.Add(new BackupInfo(path, new FileInfo(path).Length, manifest, VerifiedAt(path)));
            }
        }

        return [.. backups.OrderByDescending(b => b.Manifest.CreatedAt)];
    }

    /// <summary>The job's kind for a backup made now: weekly when no weekly one is younger than a week.</summary>
    public async Task<string> NextScheduledKindAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var backups = await ListAsync(cancellationToken).ConfigureAwait(false);
        return options.KeepWeeklyWeeks > 0 && !backups.Any(b => b.Manifest.Kind == "weekly" && b.Manifest.CreatedAt > now - TimeSpan.FromDays(7)) ? "weekly" : "daily";
    }

    /// <summary>Deletes daily backups older than <see cref="BackupOptions.KeepDailyDays"/> and weekly ones older than <see cref="BackupOptions.KeepWeeklyWeeks"/>; manual ones stay. Returns the paths deleted.</summary>
    public async Task<IReadOnlyList<string>> PruneAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var deleted = new List<string>();
        foreach (var backup in await ListAsync(cancellationToken).ConfigureAwait(false))
        {
            var keep = backup.Manifest.Kind switch
            {
                "daily" => TimeSpan.FromDays(options.KeepDailyDays),
                "weekly" => TimeSpan.FromDays(7 * options.KeepWeeklyWeeks),
                _ => TimeSpan.MaxValue,
            };
            if (keep != TimeSpan.MaxValue && backup.Manifest.CreatedAt < now - keep)
            {
                File.Delete(backup.Path);
                TryDelete(backup.Path + ".verified");
                deleted.Add(backup.Path);
            }
        }

        return deleted;
    }

    /// <summary>When verify last passed on this backup (a stamp file beside it).</summary>
    public static DateTimeOffset? VerifiedAt(string path) =>
        File.Exists(path + ".verified") && DateTimeOffset.TryParse(File.ReadAllText(path + ".verified").Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    private async Task TryMarkVerifiedAsync(string path)
    {
        try
        {
            await File.WriteAllTextAsync(path + ".verified", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A backup on read-only media verifies as well; it just cannot say so later.
        }
    }

    private static async Task<BackupManifest?> ReadManifestAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var input = File.OpenRead(path);
            await using var gzip = new GZipStream(input, CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);
            var first = await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
            return first is { Name: ManifestName, DataStream: { } data }
                ? await JsonSerializer.DeserializeAsync(data, BackupJsonContext.Default.BackupManifest, cancellationToken).ConfigureAwait(false)
                : null;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or JsonException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Unpacks only the files a backup has (no paths, links or devices: a crafted archive cannot
    /// write outside the target) and returns the manifest; what is wrong goes to <paramref name="problems"/>.
    /// </summary>
    private static async Task<BackupManifest?> UnpackAsync(string path, string target, List<string> problems, CancellationToken cancellationToken)
    {
        BackupManifest? manifest = null;
        try
        {
            await using var input = File.OpenRead(path);
            await using var gzip = new GZipStream(input, CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.Name is not (ManifestName or DatabaseName or SharedDumpName or ConfigName) || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    problems.Add($"the archive holds '{entry.Name}', which is not part of a Mnemo backup");
                    continue;
                }

                if (entry.Name == ManifestName)
                {
                    manifest = await JsonSerializer.DeserializeAsync(entry.DataStream!, BackupJsonContext.Default.BackupManifest, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await entry.ExtractToFileAsync(Path.Combine(target, entry.Name), overwrite: false, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or JsonException or FormatException)
        {
            problems.Add($"the archive is damaged: {ex.Message}");
            return null;
        }

        if (manifest is null)
        {
            problems.Add($"the archive has no {ManifestName}");
        }
        else if (manifest.Format != Format)
        {
            problems.Add($"backup format {manifest.Format} is not one this Mnemo reads ({Format})");
            return null;
        }

        return manifest;
    }

    private static async Task CheckDatabaseAsync(string database, BackupManifest manifest, List<string> problems, CancellationToken cancellationToken)
    {
        try
        {
            await using (var connection = await OpenAsync(database, SqliteOpenMode.ReadOnly, cancellationToken).ConfigureAwait(false))
            {
                var integrity = Convert.ToString(await ScalarAsync(connection, "PRAGMA integrity_check", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                if (integrity != "ok")
                {
                    problems.Add($"SQLite's integrity check failed: {integrity}");
                    return;
                }

                // A sample search: memories picked at random must be found again through the
                // full-text index by a word of their own, and have their embedding.
                await using var sample = connection.CreateCommand();
                sample.CommandText = "SELECT m.id, m.text, length(e.vector) FROM memories m LEFT JOIN embeddings e ON e.id = m.embedding_id ORDER BY random() LIMIT 3";
                var picked = new List<(long Id, string Text, long? VectorBytes)>();
                await using (var reader = await sample.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        picked.Add((reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2)));
                    }
                }

                foreach (var (id, text, vectorBytes) in picked)
                {
                    if (vectorBytes is null or 0)
                    {
                        problems.Add($"memory {id} has no embedding");
                    }

                    if (Word().Match(text) is not { Success: true } word)
                    {
                        continue;
                    }

                    await using var search = connection.CreateCommand();
                    search.CommandText = "SELECT count(*) FROM memories_fts WHERE memories_fts MATCH $query AND rowid = $id";
                    search.Parameters.AddWithValue("$query", $"body:\"{word.Value}\"");
                    search.Parameters.AddWithValue("$id", id);
                    if (Convert.ToInt64(await search.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
                    {
                        problems.Add($"a sample search for '{word.Value}' did not find memory {id}: the full-text index is incomplete");
                    }
                }
            }

            var (_, counts) = await DescribeAsync(database, cancellationToken).ConfigureAwait(false);
            if (counts != manifest.Counts)
            {
                problems.Add($"the database holds {counts} but the manifest says {manifest.Counts}");
            }
        }
        catch (SqliteException ex)
        {
            problems.Add($"the database cannot be read: {ex.Message}");
        }
    }

    private static async Task<(int Schema, BackupCounts Counts)> DescribeAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, SqliteOpenMode.ReadOnly, cancellationToken).ConfigureAwait(false);
        var schema = Convert.ToInt32(await ScalarAsync(connection, "PRAGMA user_version", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        async Task<long> CountAsync(string sql) => Convert.ToInt64(await ScalarAsync(connection, sql, cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        return (schema, new BackupCounts(
            await CountAsync("SELECT count(*) FROM memories").ConfigureAwait(false),
            await CountAsync("SELECT count(*) FROM (SELECT DISTINCT agent, session FROM memories)").ConfigureAwait(false),
            schema >= 3 ? await CountAsync("SELECT count(*) FROM digests").ConfigureAwait(false) : 0,
            schema >= 5 ? await CountAsync("SELECT count(*) FROM feedback").ConfigureAwait(false) : 0));
    }

    /// <summary>A connection of its own, not pooled, so that no file stays open once the backup is done.</summary>
    private static async Task<SqliteConnection> OpenAsync(string path, SqliteOpenMode mode, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = 30 }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 30000";
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind; the name says what it is.
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path))
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind; the name says what it is.
        }
    }

    [GeneratedRegex(@"\p{L}{5,}", RegexOptions.None, 1000)]
    private static partial Regex Word();

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "backup written to {Path} ({Bytes} bytes, {Memories} memories)")]
        public static partial void Created(ILogger logger, string path, long bytes, long memories);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "backup {Path} failed verification: {Problem}")]
        public static partial void VerifyFailed(ILogger logger, string path, string problem);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "restored {Path}; the data it replaced is in {Aside}")]
        public static partial void Restored(ILogger logger, string path, string aside);
    }
}
