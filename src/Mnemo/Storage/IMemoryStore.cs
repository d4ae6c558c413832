using Mnemo.Domain;

namespace Mnemo.Storage;

/// <summary>
/// The source of truth for memories: their text and vectors, the full-text index, source cursors
/// and the append-only audit log whose ids are the change sequence derived data (the vector
/// index) catches up from. Embedded: <see cref="SqliteMemoryStore"/>; shared by several nodes:
/// the PostgreSQL store in Mnemo.Postgres. Both pass the same contract tests.
/// </summary>
public interface IMemoryStore : IAsyncDisposable
{
    /// <summary>Where the store lives, for messages (a file path, or a database without its password).</summary>
    string Location { get; }

    /// <summary>The embedding model recorded for this store (<c>model|dimensions</c>), or null for a new store.</summary>
    Task<string?> GetEmbeddingModelAsync(CancellationToken cancellationToken);

    /// <summary>Records the embedding model the store's vectors come from; refuses a different one.</summary>
    Task EnsureEmbeddingModelAsync(string modelId, int dimensions, CancellationToken cancellationToken);

    Task<string?> GetCursorAsync(string source, CancellationToken cancellationToken);

    /// <summary>Content hashes of the memories that already exist under these keys (hex key to hash).</summary>
    Task<Dictionary<string, byte[]>> FindExistingAsync(IReadOnlyCollection<byte[]> keys, CancellationToken cancellationToken);

    /// <summary>Cached embeddings for these hashes (hex hash to vector).</summary>
    Task<Dictionary<string, float[]>> GetEmbeddingsAsync(IReadOnlyCollection<byte[]> hashes, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a batch in one transaction: new embeddings, memories (added, or updated when the
    /// content under a key changed), their full-text entries, an audit event each, and the cursor.
    /// </summary>
    Task<BatchResult> WriteBatchAsync(IReadOnlyList<NewMemory> memories, IReadOnlyList<StoredEmbedding> embeddings, string modelId, SourceCursor? cursor, string actor, CancellationToken cancellationToken);

    /// <summary>Deletes memories and records a <c>forget</c> event for each, without the text. Returns the ids that existed.</summary>
    Task<(IReadOnlyList<long> Forgotten, long Previous, long Watermark)> ForgetAsync(IReadOnlyCollection<long> ids, string actor, CancellationToken cancellationToken);

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

    /// <summary>Ids of conversation memories (not digests or notes) older than <paramref name="before"/>, oldest first.</summary>
    Task<IReadOnlyList<long>> FindOlderTurnsAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);

    /// <summary>The memories matching every part of the filter, oldest first.</summary>
    Task<IReadOnlyList<Memory>> FindAsync(MemoryFilter filter, int limit, CancellationToken cancellationToken);

    /// <summary>For each memory, the memories just before and after it in its session (null at the ends).</summary>
    Task<Dictionary<long, (long? Previous, long? Next)>> GetNeighboursAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken);

    /// <summary>The text of the memory just before a position in a session, to give a resumed ingest its context.</summary>
    Task<string?> GetPrecedingTextAsync(string agent, string session, long sequence, CancellationToken cancellationToken);

    /// <summary>Every memory id with its vector, in id order: what the vector index is derived from.</summary>
    IAsyncEnumerable<(long Id, float[] Vector)> ReadVectorsAsync(CancellationToken cancellationToken);

    Task<Dictionary<long, float[]>> GetVectorsAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken);

    /// <summary>The id of an entry's first chunk, or null.</summary>
    Task<long?> FindIdAsync(string agent, string session, string entryId, CancellationToken cancellationToken);

    /// <summary>A session's memories up to a position (or before a time), newest first, with their vectors.</summary>
    Task<IReadOnlyList<(Memory Memory, float[] Vector)>> GetSessionMemoriesAsync(string agent, string session, long? maxSequence, DateTimeOffset? before, int limit, CancellationToken cancellationToken);

    /// <summary>Conversation memories said in [from, until), oldest first, with vectors; over the limit the newest are kept.</summary>
    Task<IReadOnlyList<(Memory Memory, float[] Vector)>> GetMemoriesBetweenAsync(DateTimeOffset from, DateTimeOffset until, string? agent, int limit, CancellationToken cancellationToken);

    /// <summary>An agent's sessions (every agent's when null), most recent first: turns and first and last times.</summary>
    Task<IReadOnlyList<SessionSummary>> GetSessionsAsync(string? agent, int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> GetActiveAgentsAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken);

    Task<IReadOnlyList<(string Agent, DateOnly Day, int Turns)>> CountTurnsPerDayAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>Memories stored per UTC day since <paramref name="since"/>; of those since <paramref name="recent"/>: how many, distinct, empty.</summary>
    Task<(Dictionary<DateOnly, long> PerDay, long Recent, long RecentDistinct, long RecentEmpty)> IngestVolumeAsync(DateTimeOffset since, DateTimeOffset recent, CancellationToken cancellationToken);

    /// <summary>A quick soundness check: null when the store is sound and reachable, else what is wrong.</summary>
    Task<string?> QuickCheckAsync(CancellationToken cancellationToken);

    /// <summary>The store's version for derived data: the id of the latest audit event, and the memory count.</summary>
    Task<(long Watermark, long Count)> GetWatermarkAsync(CancellationToken cancellationToken);

    /// <summary>Audit events after a watermark, oldest first: how derived data catches up.</summary>
    Task<IReadOnlyList<(long EventId, string Action, long MemoryId)>> GetChangesSinceAsync(long watermark, CancellationToken cancellationToken);

    Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken);

    /// <summary>A full integrity check; "ok" or the problems found.</summary>
    Task<string> CheckIntegrityAsync(CancellationToken cancellationToken);

    /// <summary>Builds the full-text index again from the memory rows; returns how many memories it holds.</summary>
    Task<long> RebuildTextIndexAsync(CancellationToken cancellationToken);
}
