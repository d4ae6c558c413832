using Npgsql;

namespace Mnemo.Postgres;

/// <summary>An item of shared work a node has claimed.</summary>
public sealed record WorkItem(long Id, string Kind, string Payload, int Attempt);

/// <summary>
/// Work shared by the nodes of a store (embedding batches, transcriptions): a node claims the
/// oldest open item with <c>FOR UPDATE SKIP LOCKED</c> (two nodes never get the same row) under a
/// lease it renews while working. A node that dies stops renewing; when the lease runs out the item
/// is claimable again. Only the lease holder can complete an item, so it is completed once.
/// </summary>
public sealed class SharedWork(PostgresMemoryStore store, string node)
{
    public string Node { get; } = node;

    /// <summary>Gives up on an item after this many attempts (each a claim: a node dying mid-item counts).</summary>
    public int MaxAttempts { get; init; } = 5;

    public async Task<long> EnqueueAsync(string kind, string payload, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(payload);
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"INSERT INTO work_items(kind, payload) VALUES (@kind, @payload) RETURNING id; NOTIFY {PostgresSchema.WorkChannel};", connection);
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("payload", payload);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Claims the oldest item that is queued or whose lease ran out; null when there is none.</summary>
    public async Task<WorkItem?> ClaimAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            """
            WITH next AS (
                SELECT id FROM work_items
                WHERE status = 'queued' OR (status = 'running' AND lease_until < now())
                ORDER BY id
                FOR UPDATE SKIP LOCKED
                LIMIT 1),
            claimed AS (
                UPDATE work_items w SET status = 'running', attempts = w.attempts + 1, lease_owner = @node, lease_until = now() + @lease
                FROM next WHERE w.id = next.id
                RETURNING w.id, w.kind, w.payload, w.attempts),
            noted AS (
                INSERT INTO work_attempts(item_id, node) SELECT id, @node FROM claimed)
            SELECT id, kind, payload, attempts FROM claimed
            """,
            connection);
        command.Parameters.AddWithValue("node", Node);
        command.Parameters.AddWithValue("lease", lease);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new WorkItem(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3))
            : null;
    }

    /// <summary>Extends this node's lease; false when the item is no longer this node's (its lease ran out and another took it).</summary>
    public Task<bool> RenewAsync(long id, TimeSpan lease, CancellationToken cancellationToken) =>
        UpdateOwnAsync("UPDATE work_items SET lease_until = now() + @lease WHERE id = @id AND lease_owner = @node AND status = 'running'", id, cancellationToken, ("lease", lease));

    /// <summary>Marks the item done; false when it was no longer this node's (then the other node completes it).</summary>
    public Task<bool> CompleteAsync(long id, CancellationToken cancellationToken) =>
        UpdateOwnAsync("UPDATE work_items SET status = 'done', finished_at = now(), finished_by = @node, lease_until = NULL WHERE id = @id AND lease_owner = @node AND status = 'running'", id, cancellationToken);

    /// <summary>Puts the item back for another attempt, or marks it failed after <see cref="MaxAttempts"/>.</summary>
    public Task<bool> FailAsync(long id, string error, CancellationToken cancellationToken) =>
        UpdateOwnAsync(
            "UPDATE work_items SET status = CASE WHEN attempts >= @max THEN 'failed' ELSE 'queued' END, error = @error, lease_owner = NULL, lease_until = NULL, finished_at = CASE WHEN attempts >= @max THEN now() END WHERE id = @id AND lease_owner = @node AND status = 'running'",
            id,
            cancellationToken,
            ("max", MaxAttempts),
            ("error", error));

    /// <summary>Items per status.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT status, count(*) FROM work_items GROUP BY status", connection);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    private async Task<bool> UpdateOwnAsync(string sql, long id, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("node", Node);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }
}
