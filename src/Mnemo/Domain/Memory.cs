namespace Mnemo.Domain;

/// <summary>A stored unit of memory: one turn, or one piece of a long turn.</summary>
public sealed record Memory(
    long Id,
    string Agent,
    string Session,
    string EntryId,
    string Role,
    string Text,
    DateTimeOffset? Timestamp,
    string Source,
    long Sequence,
    int Chunk,
    bool Untrusted,
    string? Speaker);
