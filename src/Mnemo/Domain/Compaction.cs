namespace Mnemo.Domain;

/// <summary>
/// A recorded compaction. <see cref="FromSequence"/>..<see cref="ToSequence"/> is the span of the
/// session's entries that left the context at this compaction (null when it cannot be placed).
/// </summary>
public sealed record Compaction(
    long Id,
    CompactionEvent Event,
    long? FromSequence,
    long? ToSequence,
    DateTimeOffset RecordedAt);
