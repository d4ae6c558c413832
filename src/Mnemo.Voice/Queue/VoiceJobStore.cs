using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Mnemo.Storage;

namespace Mnemo.Voice.Queue;

/// <summary>
/// The durable transcription queue, kept in the store: a job is persisted before any work starts, claimed
/// by one worker at a time, and ends done (with the memory it became) or failed (with its reason)
/// after a bounded number of attempts. The same recording (by content hash) is queued once, however
/// many ways it arrives.
/// </summary>
public sealed class VoiceJobStore(SqliteMemoryStore store, TimeProvider time)
{
    private const string Columns = "id, path, origin, agent, session, status, attempts, error, created_at, finished_at, memory_id, duration_ms, language, engine, model";

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
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = """
                INSERT INTO voice_jobs(path, content, origin, agent, session, status, not_before, created_at)
                VALUES ($path, $content, $origin, $agent, $session, 'queued', $now, $now)
                ON CONFLICT(content) DO UPDATE SET status = 'queued', attempts = 0, not_before = $now, error = NULL, finished_at = NULL,
                    path = excluded.path, origin = excluded.origin, agent = COALESCE(excluded.agent, voice_jobs.agent), session = COALESCE(excluded.session, voice_jobs.session)
                    WHERE voice_jobs.status = 'failed' AND $retry
                RETURNING id
                """;
            insert.Parameters.AddWithValue("$retry", retryFailed);
            insert.Parameters.AddWithValue("$path", Path.GetFullPath(path));
            insert.Parameters.AddWithValue("$content", content);
            insert.Parameters.AddWithValue("$origin", origin);
            insert.Parameters.AddWithValue("$agent", (object?)agent ?? DBNull.Value);
            insert.Parameters.AddWithValue("$session", (object?)session ?? DBNull.Value);
            insert.Parameters.AddWithValue("$now", now);
            if (await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long id)
            {
                return ((await GetAsync(id, cancellationToken).ConfigureAwait(false))!, true);
            }
        }

        await using var find = connection.CreateCommand();
        find.CommandText = $"SELECT {Columns} FROM voice_jobs WHERE content = $content";
        find.Parameters.AddWithValue("$content", content);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (Read(reader), false);
    }

    /// <summary>Takes the oldest job that is due, or null when there is none.</summary>
    public async Task<VoiceJob?> ClaimAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE voice_jobs SET status = 'running', attempts = attempts + 1, started_at = $now
            WHERE id = (SELECT id FROM voice_jobs WHERE status = 'queued' AND not_before <= $now ORDER BY id LIMIT 1)
            RETURNING {Columns}
            """;
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>Takes one particular job if it is queued (the HTTP endpoint transcribes its upload at once).</summary>
    public async Task<VoiceJob?> ClaimAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE voice_jobs SET status = 'running', attempts = attempts + 1, started_at = $now
            WHERE id = $id AND status = 'queued'
            RETURNING {Columns}
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public async Task CompleteAsync(long id, long? memoryId, TimeSpan duration, string? language, string engine, string model, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE voice_jobs SET status = 'done', finished_at = $now, memory_id = $memory, duration_ms = $duration,
                language = $language, engine = $engine, model = $model, error = NULL
            WHERE id = $id
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$memory", (object?)memoryId ?? DBNull.Value);
        command.Parameters.AddWithValue("$duration", (long)duration.TotalMilliseconds);
        command.Parameters.AddWithValue("$language", (object?)language ?? DBNull.Value);
        command.Parameters.AddWithValue("$engine", engine);
        command.Parameters.AddWithValue("$model", model);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records a failure: queued again after <paramref name="retryAfter"/>, or failed for good when null.</summary>
    public async Task FailAsync(long id, string reason, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE voice_jobs SET status = CASE WHEN $retry IS NULL THEN 'failed' ELSE 'queued' END,
                not_before = COALESCE($retry, not_before), error = $reason, finished_at = CASE WHEN $retry IS NULL THEN $now ELSE NULL END
            WHERE id = $id
            """;
        var now = time.GetUtcNow();
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$reason", reason);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$retry", retryAfter is { } after ? (now + after).ToUnixTimeMilliseconds() : DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Jobs a stopped or killed process was running go back to the queue (at start).</summary>
    public async Task<int> RequeueRunningAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE voice_jobs SET status = 'queued' WHERE status = 'running'";
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<VoiceJob?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM voice_jobs WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<VoiceJob>> ListAsync(string? status, int limit, CancellationToken cancellationToken)
    {
        var jobs = new List<VoiceJob>();
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM voice_jobs WHERE $status IS NULL OR status = $status ORDER BY id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$status", (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            jobs.Add(Read(reader));
        }

        return jobs;
    }

    public async Task<VoiceQueueStats> StatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COALESCE(SUM(status = 'queued'), 0), COALESCE(SUM(status = 'running'), 0), COALESCE(SUM(status = 'done'), 0), COALESCE(SUM(status = 'failed'), 0)
            FROM voice_jobs
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new VoiceQueueStats(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>For health: how many wait and since when, and how many finished and failed since <paramref name="since"/>.</summary>
    public async Task<(long Queued, DateTimeOffset? OldestQueued, long Done, long Failed)> HealthAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COALESCE(SUM(status = 'queued'), 0), MIN(CASE WHEN status = 'queued' THEN created_at END),
                   COALESCE(SUM(status = 'done' AND finished_at >= $since), 0), COALESCE(SUM(status = 'failed' AND finished_at >= $since), 0)
            FROM voice_jobs
            """;
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>Finished jobs whose audio is older than <paramref name="before"/> and still on disk.</summary>
    public async Task<IReadOnlyList<(long Id, string Path)>> AudioToDeleteAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var result = new List<(long, string)>();
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, path FROM voice_jobs WHERE status IN ('done', 'failed') AND audio_deleted = 0 AND created_at < $before";
        command.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add((reader.GetInt64(0), reader.GetString(1)));
        }

        return result;
    }

    public async Task MarkAudioDeletedAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE voice_jobs SET audio_deleted = 1 WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static VoiceJob Read(SqliteDataReader reader) => new(
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
