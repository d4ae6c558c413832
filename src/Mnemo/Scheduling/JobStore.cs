using System.Data.Common;
using Mnemo.Storage;

namespace Mnemo.Scheduling;

/// <summary>
/// The scheduler's state in the store: next run, last run and its outcome, and a lease that keeps
/// a job from running twice at once, also across processes (<c>mnemo serve</c> and <c>mnemo run</c>).
/// </summary>
public sealed class JobStore(IRecordDatabase store)
{
    private const string Columns = "name, next_run, last_occurrence, last_started, last_finished, last_duration, last_outcome, last_detail, failures, lease_owner, lease_until";

    public async Task<IReadOnlyDictionary<string, JobState>> GetAllAsync(CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, JobState>(StringComparer.Ordinal);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM jobs";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var state = Read(reader);
            states[state.Name] = state;
        }

        return states;
    }

    public async Task<JobState> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM jobs WHERE name = @name";
        command.Bind("@name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : JobState.Empty(name);
    }

    public async Task SetNextRunAsync(string name, DateTimeOffset? next, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO jobs(name, next_run) VALUES (@name, @next) ON CONFLICT(name) DO UPDATE SET next_run = excluded.next_run";
        command.Bind("@name", name);
        command.Bind("@next", Millis(next));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Who holds a lease: machine, process id, process start and a random part (<c>host:1234:1764050000000:9f2c1a7e</c>).</summary>
    public static string OwnerId()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Environment.MachineName}:{Environment.ProcessId}:{StartOf(self)}:{Guid.NewGuid().ToString("N")[..8]}");
    }

    /// <summary>
    /// Frees leases held by processes of this machine that no longer exist (killed mid-run), so a
    /// crash does not keep a job from running until its lease expires.
    /// </summary>
    /// <param name="self">The caller's own owner id, whose leases are left alone.</param>
    public async Task<int> ReleaseDeadLeasesAsync(string self, CancellationToken cancellationToken)
    {
        var owners = new List<string>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT DISTINCT lease_owner FROM jobs WHERE lease_owner IS NOT NULL";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                owners.Add(reader.GetString(0));
            }
        }

        var released = 0;
        foreach (var owner in owners.Where(o => o != self && IsDeadLocalProcess(o)))
        {
            await using var release = connection.CreateCommand();
            release.CommandText = "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @owner";
            release.Bind("@owner", owner);
            released += await release.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return released;
    }

    /// <summary>The owner ran on this machine and its process is gone (or its pid now belongs to a later process).</summary>
    private static bool IsDeadLocalProcess(string owner)
    {
        var parts = owner.Split(':');
        if (parts.Length != 4 || parts[0] != Environment.MachineName
            || !int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var started))
        {
            return false;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.HasExited || StartOf(process) != started;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static long StartOf(System.Diagnostics.Process process) => new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();

    /// <summary>Takes the job's lease unless another owner holds one that has not expired.</summary>
    public async Task<bool> TryAcquireAsync(string name, string owner, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO jobs(name) VALUES (@name) ON CONFLICT(name) DO NOTHING;
            UPDATE jobs SET lease_owner = @owner, lease_until = @until
            WHERE name = @name AND (lease_owner IS NULL OR lease_until < @now)
            RETURNING name;
            """;
        command.Bind("@name", name);
        command.Bind("@owner", owner);
        command.Bind("@now", now.ToUnixTimeMilliseconds());
        command.Bind("@until", until.ToUnixTimeMilliseconds());
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string;
    }

    /// <summary>Records a finished run, sets the next run and releases the lease, in one transaction.</summary>
    /// <param name="nextRun">The next run to persist; null keeps the one stored (manual runs).</param>
    public async Task CompleteAsync(JobRun run, string owner, DateTimeOffset? nextRun, int failures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE jobs SET
                    next_run = CASE WHEN @setNext THEN @next ELSE next_run END,
                    last_occurrence = COALESCE(@occurrence, last_occurrence),
                    last_started = @started, last_finished = @finished, last_duration = @duration,
                    last_outcome = @outcome, last_detail = @detail, failures = @failures,
                    lease_owner = CASE WHEN lease_owner = @owner THEN NULL ELSE lease_owner END,
                    lease_until = CASE WHEN lease_owner = @owner THEN NULL ELSE lease_until END
                WHERE name = @name
                """;
            update.Bind("@name", run.Job);
            update.Bind("@setNext", nextRun is not null);
            update.Bind("@next", Millis(nextRun));
            update.Bind("@occurrence", Millis(run.Occurrence));
            update.Bind("@started", run.Started.ToUnixTimeMilliseconds());
            update.Bind("@finished", run.Finished.ToUnixTimeMilliseconds());
            update.Bind("@duration", (long)(run.Finished - run.Started).TotalMilliseconds);
            update.Bind("@outcome", run.Succeeded ? "succeeded" : "failed");
            update.Bind("@detail", run.Detail);
            update.Bind("@failures", failures);
            update.Bind("@owner", owner);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO job_runs(job, occurrence, attempt, trigger, started, finished, outcome, detail)
                VALUES (@job, @occurrence, @attempt, @trigger, @started, @finished, @outcome, @detail);
                DELETE FROM job_runs WHERE job = @job AND id NOT IN (SELECT id FROM job_runs WHERE job = @job ORDER BY id DESC LIMIT 500);
                """;
            insert.Bind("@job", run.Job);
            insert.Bind("@occurrence", Millis(run.Occurrence));
            insert.Bind("@attempt", run.Attempt);
            insert.Bind("@trigger", TriggerName(run.Trigger));
            insert.Bind("@started", run.Started.ToUnixTimeMilliseconds());
            insert.Bind("@finished", run.Finished.ToUnixTimeMilliseconds());
            insert.Bind("@outcome", run.Succeeded ? "succeeded" : "failed");
            insert.Bind("@detail", run.Detail);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A job's latest runs, newest first (the store keeps the last 500 per job).</summary>
    public async Task<IReadOnlyList<JobRun>> GetRunsAsync(string name, int limit, CancellationToken cancellationToken)
    {
        var runs = new List<JobRun>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT job, occurrence, attempt, trigger, started, finished, outcome, detail FROM job_runs WHERE job = @job ORDER BY id DESC LIMIT @limit";
        command.Bind("@job", name);
        command.Bind("@limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new JobRun(
                reader.GetString(0),
                Time(reader, 1),
                reader.GetInt32(2),
                reader.GetString(3) switch { "catch-up" => JobTrigger.CatchUp, "retry" => JobTrigger.Retry, "manual" => JobTrigger.Manual, _ => JobTrigger.Schedule },
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                reader.GetString(6) == "succeeded",
                reader.IsDBNull(7) ? string.Empty : reader.GetString(7)));
        }

        return runs;
    }

    public static string TriggerName(JobTrigger trigger) => trigger switch
    {
        JobTrigger.CatchUp => "catch-up",
        JobTrigger.Retry => "retry",
        JobTrigger.Manual => "manual",
        _ => "schedule",
    };

    private static JobState Read(DbDataReader reader) => new(
        reader.GetString(0),
        Time(reader, 1),
        Time(reader, 2),
        Time(reader, 3),
        Time(reader, 4),
        reader.IsDBNull(5) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(5)),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.GetInt32(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        Time(reader, 10));

    private static DateTimeOffset? Time(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static object Millis(DateTimeOffset? time) => time is { } t ? t.ToUnixTimeMilliseconds() : DBNull.Value;
}
