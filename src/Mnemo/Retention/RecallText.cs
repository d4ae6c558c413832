using System.Globalization;

namespace Mnemo.Retention;

/// <summary>How recalled memories are shown, the same in retained context and MCP results.</summary>
public static class RecallText
{
    /// <summary>One line: newlines flattened, cut with an ellipsis past <paramref name="maxChars"/>.</summary>
    public static string Clip(string text, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(text);
        var flat = text.Replace('\n', ' ').Replace('\r', ' ').Trim();
        return flat.Length <= maxChars ? flat : string.Concat(flat.AsSpan(0, maxChars - 1).TrimEnd(), "…");
    }

    /// <summary>When a memory was said, in UTC to the minute.</summary>
    public static string When(DateTimeOffset? timestamp) =>
        timestamp is { } ts ? ts.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "date unknown";
}
