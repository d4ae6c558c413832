using Medallion.Threading.Postgres;
using Mnemo.Scheduling;
using Npgsql;

namespace Mnemo.Postgres;

/// <summary>
/// Runs each scheduled occurrence once across the nodes of a shared store. A node that wants to
/// run a job takes the job's PostgreSQL advisory lock (held by its connection, so a node that dies
/// lets go at once), then claims the occurrence in <c>job_occurrences</c>: a row another node
/// finished means skip. Holding the lock, a row still "running" can only be left by a node that
/// died, and is taken over.
/// </summary>
public sealed class PostgresJobCoordinator(PostgresMemoryStore store, string node, TimeProvider time) : IJobCoordinator
{
    /// <summary>How long a node waits for another node's run of the same job to end before skipping.</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(30);

    public string Node { get; } = node;

    public async Task<IJobClaim?> TryClaimAsync(string job, DateTimeOffset occurrence, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(job);
        var distributed = new PostgresDistributedLock(new PostgresAdvisoryLockKey("mnemo-job:" + job, allowHashing: true), store.DataSource);
        var handle = await distributed.TryAcquireAsync(Wait, cancellationToken).ConfigureAwait(false);
        if (handle is null)
        {
            return null;
        }

        try
        {
            await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var claim = new NpgsqlCommand(
                """
                INSERT INTO job_occurrences(job, occurrence, node, status, started_at) VALUES (@job, @occurrence, @node, 'running', @now)
                ON CONFLICT (job, occurrence) DO UPDATE SET
                    claims = job_occurrences.claims + 1,
                    node = CASE WHEN job_occurrences.status = 'succeeded' THEN job_occurrences.node ELSE excluded.node END,
                    started_at = CASE WHEN job_occurrences.status = 'succeeded' THEN job_occurrences.started_at ELSE excluded.started_at END,
                    status = CASE WHEN job_occurrences.status = 'succeeded' THEN 'succeeded' ELSE 'running' END
                RETURNING status = 'running'
                """,
                connection);
            claim.Parameters.AddWithValue("job", job);
            claim.Parameters.AddWithValue("occurrence", occurrence.ToUnixTimeMilliseconds());
            claim.Parameters.AddWithValue("node", Node);
            claim.Parameters.AddWithValue("now", time.GetUtcNow().ToUnixTimeMilliseconds());
            if (await claim.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                return new Claim(store, handle, job, occurrence, time);
            }
        }
        catch
        {
            await handle.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await handle.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    private sealed class Claim(PostgresMemoryStore store, PostgresDistributedLockHandle handle, string job, DateTimeOffset occurrence, TimeProvider time) : IJobClaim
    {
        public async Task CompleteAsync(bool succeeded, CancellationToken cancellationToken)
        {
            await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("UPDATE job_occurrences SET status = @status, finished_at = @now WHERE job = @job AND occurrence = @occurrence", connection);
            command.Parameters.AddWithValue("status", succeeded ? "succeeded" : "failed");
            command.Parameters.AddWithValue("now", time.GetUtcNow().ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("job", job);
            command.Parameters.AddWithValue("occurrence", occurrence.ToUnixTimeMilliseconds());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        public ValueTask DisposeAsync() => handle.DisposeAsync();
    }
}
