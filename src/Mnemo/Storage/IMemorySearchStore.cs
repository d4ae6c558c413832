using Mnemo.Domain;

namespace Mnemo.Storage;

/// <summary>What search and retained context read: full-text candidates, filters, memories, neighbours, sessions and periods with their vectors.</summary>
public interface IMemorySearchStore : IMemoryVectors
{
    /// <summary>Full-text candidates for the query's terms, best first (higher score is better).</summary>
    Task<IReadOnlyList<(long Id, double Score)>> SearchTextAsync(IReadOnlyList<string> terms, MemoryFilter filter, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Full-text candidates when the caller already holds the ids <paramref name="filter"/> allows
    /// (search keeps them per filter): a store may test each match against the set instead of
    /// evaluating the filter again. The answer is the same as without the set.
    /// </summary>
    Task<IReadOnlyList<(long Id, double Score)>> SearchTextAsync(IReadOnlyList<string> terms, MemoryFilter filter, IReadOnlySet<long> allowed, int limit, CancellationToken cancellationToken) =>
        SearchTextAsync(terms, filter, limit, cancellationToken);

    /// <summary>Ids of the memories that pass a filter; at most <paramref name="limit"/> when given.</summary>
    Task<HashSet<long>> FilterIdsAsync(MemoryFilter filter, int? limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<Memory>> GetMemoriesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken);

    /// <summary>The memories matching every part of the filter, oldest first.</summary>
    Task<IReadOnlyList<Memory>> FindAsync(MemoryFilter filter, int limit, CancellationToken cancellationToken);

    /// <summary>For each memory, the memories just before and after it in its session (null at the ends).</summary>
    Task<Dictionary<long, (long? Previous, long? Next)>> GetNeighboursAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken);

    /// <summary>A session's memories up to a position (or before a time), newest first, with their vectors.</summary>
    Task<IReadOnlyList<(Memory Memory, float[] Vector)>> GetSessionMemoriesAsync(string agent, string session, long? maxSequence, DateTimeOffset? before, int limit, CancellationToken cancellationToken);

    /// <summary>Conversation memories said in [from, until), oldest first, with vectors; over the limit the newest are kept.</summary>
    Task<IReadOnlyList<(Memory Memory, float[] Vector)>> GetMemoriesBetweenAsync(DateTimeOffset from, DateTimeOffset until, string? agent, int limit, CancellationToken cancellationToken);
}
