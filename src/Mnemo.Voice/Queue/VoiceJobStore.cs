using System.Data.Common;
using System.Security.Cryptography;
using Mnemo.Storage;

namespace Mnemo.Voice.Queue;

/// <summary>
/// The durable transcription queue, kept in the store: a job is persisted before any work starts, claimed
/// by one worker at a time, and ends done (with the memory it became) or failed (with its reason)
/// after a bounded number of attempts. The same recording (by content hash) is queued once, however
/// many ways it arrives.
/// <para>
/// On a shared store (PostgreSQL) several nodes drain one queue: a claim takes the row with
/// <c>FOR UPDATE SKIP LOCKED</c> and holds it under a lease the worker renews; a job whose lease
/// ran out (its node died) is claimed again by another node. The recording itself is kept in the
/// database beside the job, so a node that did not receive the file can still transcribe it.
/// </para>
/// </summary>
/// <param name="node">This node's name on the jobs it claims.</param>
/// <param name="lease">How long a claim lasts without renewal (shared store only: on the embedded store a stopped process's jobs are queued again at start).</param>
public sealed class VoiceJobStore(IRecordDatabase store, TimeProvider time, string node = "local", TimeSpan? lease = null)
{
    private const string Columns = "id, path, origin, agent, session, status, attempts, error, created_at, finished_at, memory_id, duration_ms, language, engine, model";

    /// <summary>The queue of an engine's store, claimed under this node's name and lease.</summary>
    public static VoiceJobStore For(MemoryEngine engine, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return new VoiceJobStore(engine.Records, time, engine.Options.Store.NodeName, engine.Options.Store.WorkLease);
    }

    /// <summary>Queues a recording unless the same content is queued or done already; returns the job and whether it is (again) queued.</summary>
    /// <param name="retryFailed">A recording that failed before is queued again (someone sent it again on purpose); the folder sweep does not.</param>
    public async Task<(VoiceJob Job, bool Added)> EnqueueAsync(string path, string origin, string? agent, string? session, CancellationToken cancellationToken, bool retryFailed = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] content;
        await using (var file = File.OpenRead(path))
        {
            content = await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (IsShared)
        {
            // Kept before the job exists, so no node can claim a job whose audio it cannot fetch.
            await using var audio = connection.CreateCommand();
            audio.CommandText = "INSERT INTO voice_audio(content, data) VALUES (@content, @data) ON CONFLICT (content) DO NOTHING";
            audio.Bind("@content", content).Bind("@data", await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
            await audio.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = """
                INSERT INTO voice_jobs(path, content, origin, agent, session, status, not_before, created_at)
                VALUES (@path, @content, @origin, @agent, @session, 'queued', @now, @now)
                ON CONFLICT(content) DO UPDATE SET status = 'queued', attempts = 0, not_before = @now, error = NULL, finished_at = NULL,
                    path = excluded.path, origin = excluded.origin, agent = COALESCE(excluded.agent, voice_jobs.agent), session = COALESCE(excluded.session, voice_jobs.session)
                    WHERE voice_jobs.status = 'failed' AND @retry
                RETURNING id
                """;
            insert.Bind("@retry", retryFailed);
            insert.Bind("@path", Path.GetFullPath(path));
            insert.Bind("@content", content);
            insert.Bind("@origin", origin);
            insert.Bind("@agent", (object?)agent ?? DBNull.Value);
            insert.Bind("@session", (object?)session ?? DBNull.Value);
            insert.Bind("@now", now);
            if (await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long id)
            {
                return ((await GetAsync(id, cancellationToken).ConfigureAwait(false))!, true);
            }
        }

        await using var find = connection.CreateCommand();
        find.CommandText = $"SELECT {Columns} FROM voice_jobs WHERE content = @content";
        find.Bind("@content", content);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (Read(reader), false);
    }

    /// <summary>Takes the oldest job that is due, or null when there is none.</summary>
    public async Task<VoiceJob?> ClaimAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE voice_jobs SET status = 'running', attempts = attempts + 1, started_at = @now, node = @node, lease_until = @until
            WHERE id = (SELECT id FROM voice_jobs WHERE {Claimable} ORDER BY id LIMIT 1 {store.Dialect.SkipLocked()})
            RETURNING {Columns}
            """;
        BindClaim(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>Takes one particular job if it is queued (the HTTP endpoint transcribes its upload at once).</summary>
    public async Task<VoiceJob?> ClaimAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE voice_jobs SET status = 'running', attempts = attempts + 1, started_at = @now, node = @node, lease_until = @until
            WHERE id = @id AND status = 'queued'
            RETURNING {Columns}
            """;
        command.Bind("@id", id);
        BindClaim(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>Extends this node's claim on a running job; false when the claim was lost (the lease ran out and another node took it).</summary>
    public async Task<bool> RenewAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE voice_jobs SET lease_until = @until WHERE id = @id AND status = 'running' AND node = @node";
        command.Bind("@id", id).Bind("@node", node).Bind("@until", (time.GetUtcNow() + Lease).ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>How long a claim lasts without renewal.</summary>
    public TimeSpan Lease { get; } = lease ?? TimeSpan.FromSeconds(30);

    /// <summary>True when several nodes share this queue.</summary>
    public bool IsShared => store.Dialect == SqlDialect.Postgres;

    /// <summary>
    /// A path this node can read the job's recording from: its own file when it holds the same
    /// recording, else (shared store) a copy fetched from the database into <paramref name="scratch"/>,
    /// which the caller deletes. Null when the recording is nowhere to be had.
    /// </summary>
    public async Task<(string Path, bool Fetched)?> LocateAudioAsync(VoiceJob job, string scratch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!IsShared)
        {
            return (job.Path, false);
        }

        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT j.content, a.data FROM voice_jobs j LEFT JOIN voice_audio a ON a.content = j.content WHERE j.id = @id";
        command.Bind("@id", job.Id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var content = (byte[])reader.GetValue(0);
        if (File.Exists(job.Path))
        {
            await using var file = File.OpenRead(job.Path);
            if ((await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false)).AsSpan().SequenceEqual(content))
            {
                return (job.Path, false);
            }
        }

        if (reader.IsDBNull(1))
        {
            return null;
        }

        Directory.CreateDirectory(scratch);
        var copy = Path.Combine(scratch, $"{job.Id}-{Convert.ToHexStringLower(content)[..16]}{Path.GetExtension(job.Path)}");
        await File.WriteAllBytesAsync(copy, (byte[])reader.GetValue(1), cancellationToken).ConfigureAwait(false);
        return (copy, true);
    }

    public async Task CompleteAsync(long id, long? memoryId, TimeSpan duration, string? language, string engine, string model, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE voice_jobs SET status = 'done', finished_at = @now, memory_id = @memory, duration_ms = @duration,
                language = @language, engine = @engine, model = @model, error = NULL, lease_until = NULL
            WHERE id = @id AND status = 'running' AND node = @node
            """;
        command.Bind("@node", node);
        command.Bind("@id", id);
        command.Bind("@now", time.GetUtcNow().ToUnixTimeMilliseconds());
        command.Bind("@memory", (object?)memoryId ?? DBNull.Value);
        command.Bind("@duration", (long)duration.TotalMilliseconds);
        command.Bind("@language", (object?)language ?? DBNull.Value);
        command.Bind("@engine", engine);
        command.Bind("@model", model);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records a failure: queued again after <paramref name="retryAfter"/>, or failed for good when null.</summary>
    public async Task FailAsync(long id, string reason, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE voice_jobs SET status = CASE WHEN @retry IS NULL THEN 'failed' ELSE 'queued' END,
                not_before = COALESCE(@retry, not_before), error = @reason, finished_at = CASE WHEN @retry IS NULL THEN @now ELSE NULL END, lease_until = NULL
            WHERE id = @id AND status = 'running' AND node = @node
            """;
        command.Bind("@node", node);
        var now = time.GetUtcNow();
        command.Bind("@id", id);
        command.Bind("@reason", reason);
        command.Bind("@now", now.ToUnixTimeMilliseconds());
        command.Bind("@retry", retryAfter is { } after ? (now + after).ToUnixTimeMilliseconds() : null, System.Data.DbType.Int64);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Jobs a stopped or killed process was running go back to the queue (at start). On a shared
    /// store only those whose lease ran out: the others belong to nodes still at work.
    /// </summary>
    public async Task<int> RequeueRunningAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = IsShared
            ? "UPDATE voice_jobs SET status = 'queued', lease_until = NULL WHERE status = 'running' AND (lease_until IS NULL OR lease_until < @now)"
            : "UPDATE voice_jobs SET status = 'queued', lease_until = NULL WHERE status = 'running'";
        command.Bind("@now", time.GetUtcNow().ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<VoiceJob?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM voice_jobs WHERE id = @id";
        command.Bind("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<VoiceJob>> ListAsync(string? status, int limit, CancellationToken cancellationToken)
    {
        var jobs = new List<VoiceJob>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM voice_jobs WHERE @status IS NULL OR status = @status ORDER BY id DESC LIMIT @limit";
        command.BindText("@status", status);
        command.Bind("@limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            jobs.Add(Read(reader));
        }

        return jobs;
    }

    public async Task<VoiceQueueStats> StatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*) FILTER (WHERE status = 'queued'), COUNT(*) FILTER (WHERE status = 'running'), COUNT(*) FILTER (WHERE status = 'done'), COUNT(*) FILTER (WHERE status = 'failed')
            FROM voice_jobs
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new VoiceQueueStats(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>For health: how many wait and since when, and how many finished and failed since <paramref name="since"/>.</summary>
    public async Task<(long Queued, DateTimeOffset? OldestQueued, long Done, long Failed)> HealthAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*) FILTER (WHERE status = 'queued'), MIN(created_at) FILTER (WHERE status = 'queued'),
                   COUNT(*) FILTER (WHERE status = 'done' AND finished_at >= @since), COUNT(*) FILTER (WHERE status = 'failed' AND finished_at >= @since)
            FROM voice_jobs
            """;
        command.Bind("@since", since.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>Finished jobs whose audio is older than <paramref name="before"/> and still on disk.</summary>
    public async Task<IReadOnlyList<(long Id, string Path)>> AudioToDeleteAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var result = new List<(long, string)>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, path FROM voice_jobs WHERE status IN ('done', 'failed') AND audio_deleted = 0 AND created_at < @before";
        command.Bind("@before", before.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add((reader.GetInt64(0), reader.GetString(1)));
        }

        return result;
    }

    public async Task MarkAudioDeletedAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = IsShared
            ? "UPDATE voice_jobs SET audio_deleted = 1 WHERE id = @id; DELETE FROM voice_audio a USING voice_jobs j WHERE j.id = @id AND a.content = j.content"
            : "UPDATE voice_jobs SET audio_deleted = 1 WHERE id = @id";
        command.Bind("@id", id);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Due jobs; on a shared store also running jobs whose node stopped renewing its lease.</summary>
    private string Claimable => IsShared
        ? "(status = 'queued' AND not_before <= @now) OR (status = 'running' AND lease_until < @now)"
        : "status = 'queued' AND not_before <= @now";

    private void BindClaim(DbCommand command)
    {
        var now = time.GetUtcNow();
        command.Bind("@now", now.ToUnixTimeMilliseconds()).Bind("@node", node).Bind("@until", (now + Lease).ToUnixTimeMilliseconds());
    }

    private static VoiceJob Read(DbDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.GetString(5),
        reader.GetInt32(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
        reader.IsDBNull(9) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)),
        reader.IsDBNull(10) ? null : reader.GetInt64(10),
        reader.IsDBNull(11) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(11)),
        reader.IsDBNull(12) ? null : reader.GetString(12),
        reader.IsDBNull(13) ? null : reader.GetString(13),
        reader.IsDBNull(14) ? null : reader.GetString(14));
}
