namespace Mnemo.Storage;

/// <summary>Reading for the dashboard, digests, signals, health and maintenance: sessions, activity, counts, checks.</summary>
public interface IMemoryReadStore
{
    /// <summary>Ids of conversation memories (not digests or notes) older than <paramref name="before"/>, oldest first.</summary>
    Task<IReadOnlyList<long>> FindOlderTurnsAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);

    /// <summary>An agent's sessions (every agent's when null), most recent first: turns and first and last times.</summary>
    Task<IReadOnlyList<SessionSummary>> GetSessionsAsync(string? agent, int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> GetActiveAgentsAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken);

    Task<IReadOnlyList<(string Agent, DateOnly Day, int Turns)>> CountTurnsPerDayAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>Memories stored per UTC day since <paramref name="since"/>; of those since <paramref name="recent"/>: how many, distinct, empty.</summary>
    Task<(Dictionary<DateOnly, long> PerDay, long Recent, long RecentDistinct, long RecentEmpty)> IngestVolumeAsync(DateTimeOffset since, DateTimeOffset recent, CancellationToken cancellationToken);

    /// <summary>A quick soundness check: null when the store is sound and reachable, else what is wrong.</summary>
    Task<string?> QuickCheckAsync(CancellationToken cancellationToken);

    Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken);

    /// <summary>A full integrity check; "ok" or the problems found.</summary>
    Task<string> CheckIntegrityAsync(CancellationToken cancellationToken);

    /// <summary>Builds the full-text index again from the memory rows; returns how many memories it holds.</summary>
    Task<long> RebuildTextIndexAsync(CancellationToken cancellationToken);
}
