namespace Mnemo.Retention;

/// <summary>The text to prepend to this turn (empty when nothing is worth adding) and what is in it.</summary>
/// <param name="Text">Ready to prepend; empty string when nothing was chosen.</param>
/// <param name="Items">The items in <paramref name="Text"/>, in order.</param>
/// <param name="Tokens">The text's size in tokens.</param>
/// <param name="CompactionId">The compaction whose dropped entries were used, if any.</param>
public sealed record RetainedContext(string Text, IReadOnlyList<RetainedItem> Items, int Tokens, long? CompactionId)
{
    public static RetainedContext Empty { get; } = new(string.Empty, [], 0, null);
}
