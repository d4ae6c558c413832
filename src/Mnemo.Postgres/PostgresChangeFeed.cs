using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mnemo.Postgres;

/// <summary>
/// Keeps this node's vector index current with a shared store: it listens on
/// <c>mnemo_changes</c> (LISTEN/NOTIFY) and, on each announcement, applies the audit log after the
/// index's watermark. Notifications only wake it: the audit ids are the truth, so a notification
/// lost while disconnected costs nothing; after a reconnect (and every few seconds in any case)
/// it catches up from the sequence.
/// </summary>
public sealed partial class PostgresChangeFeed(PostgresMemoryStore store, Func<CancellationToken, Task<int>> catchUp, ILogger<PostgresChangeFeed> logger)
{
    /// <summary>How long it waits for a notification before checking the sequence anyway.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Changes applied since start (for tests and metrics).</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>How many times it lost the database (or could not reach it) since start.</summary>
    public long Disconnections => Interlocked.Read(ref _disconnections);

    private long _applied;
    private long _disconnections;

    /// <summary>Follows the store until stopped; survives the database going away and coming back.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresSchema.ChangeChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                delay = TimeSpan.FromMilliseconds(500);
                // Listening first, then catching up: nothing committed in between is missed.
                await ApplyAsync(cancellationToken).ConfigureAwait(false);
                while (!cancellationToken.IsCancellationRequested)
                {
                    // Returns on a notification or after the interval; either way, catch up.
                    await connection.WaitAsync(PollInterval, cancellationToken).ConfigureAwait(false);
                    await ApplyAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Any failure (the database restarting, a network cut) means: reconnect and catch up.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _disconnections);
                LogLost(logger, store.Location, delay.TotalSeconds, ex.Message);
                try
                {
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var applied = await catchUp(cancellationToken).ConfigureAwait(false);
        if (applied > 0)
        {
            Interlocked.Add(ref _applied, applied);
            LogApplied(logger, applied);
        }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "lost the change feed of {Store} ({Problem}); reconnecting in {Seconds} s, then catching up")]
    private static partial void LogLost(ILogger logger, string store, double seconds, string problem);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Debug, Message = "applied {Count} changes from other nodes")]
    private static partial void LogApplied(ILogger logger, int count);
}
