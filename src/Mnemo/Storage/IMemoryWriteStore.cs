using Mnemo.Domain;

namespace Mnemo.Storage;

/// <summary>Writing memories: what ingest asks before and while it writes a batch, and forgetting. Only <see cref="Ingest.MemoryWriter"/> (through the ingest pipeline) writes.</summary>
public interface IMemoryWriteStore
{
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

    /// <summary>The text of the memory just before a position in a session, to give a resumed ingest its context.</summary>
    Task<string?> GetPrecedingTextAsync(string agent, string session, long sequence, CancellationToken cancellationToken);

    /// <summary>The id of an entry's first chunk, or null.</summary>
    Task<long?> FindIdAsync(string agent, string session, string entryId, CancellationToken cancellationToken);
}
