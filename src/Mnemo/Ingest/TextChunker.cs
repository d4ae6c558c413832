namespace Mnemo.Ingest;

/// <summary>
/// Splits long text into pieces no longer than a limit, preferring sentence ends, then white
/// space, with an overlap so a fact on a boundary is whole in at least one piece.
/// </summary>
public static class TextChunker
{
    public static IReadOnlyList<string> Split(string text, int maxChars, int overlapChars) =>
        Ranges(text, maxChars, overlapChars).Select(r => text[r]).ToList();

    /// <summary>Where each piece starts and ends in <paramref name="text"/>.</summary>
    public static IReadOnlyList<Range> Ranges(string text, int maxChars, int overlapChars)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 16);
        ArgumentOutOfRangeException.ThrowIfNegative(overlapChars);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(overlapChars, maxChars / 2);
        if (text.Length <= maxChars)
        {
            return [Range.All];
        }

        var pieces = new List<Range>();
        var start = 0;
        while (start < text.Length)
        {
            var end = Math.Min(start + maxChars, text.Length);
            if (end < text.Length)
            {
                end = BreakPoint(text, start + (maxChars / 2), end);
            }

            pieces.Add(start..end);
            if (end >= text.Length)
            {
                break;
            }

            // Step back by the overlap, then forward to the start of a word.
            var next = Math.Max(end - overlapChars, start + 1);
            while (next < end && !char.IsWhiteSpace(text[next - 1]))
            {
                next++;
            }

            start = next;
        }

        return pieces;
    }

    /// <summary>The best place to end a piece within [min, max]: after a sentence end, else after white space, else max.</summary>
    private static int BreakPoint(string text, int min, int max)
    {
        for (var i = max; i > min; i--)
        {
            if (text[i - 1] is '.' or '!' or '?' or '\n' && (i == text.Length || char.IsWhiteSpace(text[i])))
            {
                return i;
            }
        }

        for (var i = max; i > min; i--)
        {
            if (char.IsWhiteSpace(text[i - 1]))
            {
                return i;
            }
        }

        return max;
    }
}
