namespace Mnemo.Storage;

/// <summary>A memory about to be written, with the hash of the embedding that represents it.</summary>
public sealed record NewMemory(
    byte[] Key,
    string Agent,
    string Session,
    string EntryId,
    string? ParentId,
    int Chunk,
    long Sequence,
    string Role,
    string? Speaker,
    string? Tool,
    bool Untrusted,
    string Text,
    string IndexContext,
    DateTimeOffset? Timestamp,
    string Source,
    byte[] ContentHash,
    byte[] EmbeddingHash);
