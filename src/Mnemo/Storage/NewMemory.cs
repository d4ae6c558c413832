using System.Globalization;

namespace Mnemo.Storage;

/// <summary>
/// A memory about to be written, with the hash of the embedding that represents it.
/// <see cref="IndexContext"/> is what the full-text index holds beside the words: the date words.
/// </summary>
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
    byte[] EmbeddingHash)
{
    /// <summary>The full-text context of a memory said at <paramref name="timestamp"/>: the date spelled out, so "in May 2023" can match.</summary>
    public static string DateWords(DateTimeOffset? timestamp) =>
        timestamp is { } ts ? ts.ToString("d MMMM yyyy dddd", CultureInfo.InvariantCulture) : string.Empty;
}
