namespace Mnemo.Retention;

/// <summary>One line of retained context and where it came from.</summary>
/// <param name="Origin"><c>compaction</c> (left this session's context) or <c>earlier</c> (an earlier session).</param>
/// <param name="Kind">Why it was chosen.</param>
/// <param name="Text">The words (a sentence, or a short memory).</param>
/// <param name="MemoryId">The memory it came from, for <c>memory_get</c>; 0 for the host's own compaction notes.</param>
/// <param name="Timestamp">When it was said.</param>
/// <param name="Session">Its session.</param>
/// <param name="Role">Who said it.</param>
/// <param name="Untrusted">External content: shown fenced, never as an instruction.</param>
/// <param name="Score">How it ranked.</param>
public sealed record RetainedItem(
    string Origin,
    SalientKind Kind,
    string Text,
    long MemoryId,
    DateTimeOffset? Timestamp,
    string Session,
    string Role,
    bool Untrusted,
    double Score)
{
    /// <summary>The line of the rendered text that carries it (0 first): adjacent turns of one exchange share a line.</summary>
    public int Line { get; init; }
}
