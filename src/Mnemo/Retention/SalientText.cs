using System.Text;
using System.Text.RegularExpressions;

namespace Mnemo.Retention;

/// <summary>
/// Finds the sentences of a turn that a summary tends to lose: exact identifiers, decisions, open
/// requests and TODOs, stated preferences. Hand-written patterns: no package does this for chat
/// text, and the cost has to stay at microseconds per turn.
/// </summary>
public static partial class SalientText
{
    /// <summary>Sentences longer than this are cut (with an ellipsis) when shown.</summary>
    public const int MaxSentenceChars = 280;

    /// <summary>The salient sentences of a turn; <paramref name="role"/> decides which kinds count.</summary>
    public static IReadOnlyList<SalientSentence> Extract(string text, string role)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(role);
        var result = new List<SalientSentence>();
        var fromUser = role is "user";
        foreach (var sentence in Sentences(text))
        {
            try
            {
                var identifiers = Identifiers(sentence, strongOnly: !fromUser);
                var kind = identifiers.Count > 0 ? SalientKind.Identifier : SalientKind.None;
                if (DecisionPattern().IsMatch(sentence))
                {
                    kind |= SalientKind.Decision;
                }

                if (TodoPattern().IsMatch(sentence) || (fromUser && RequestPattern().IsMatch(sentence)) || (role is "assistant" && PromisePattern().IsMatch(sentence)))
                {
                    kind |= SalientKind.Request;
                }

                if (fromUser && PreferencePattern().IsMatch(sentence))
                {
                    kind |= SalientKind.Preference;
                }

                if (kind != SalientKind.None)
                {
                    result.Add(new SalientSentence(RecallText.Clip(sentence, MaxSentenceChars), kind, identifiers));
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // A pathological sentence is not worth stalling the agent's turn for.
            }
        }

        return result;
    }

    /// <summary>The exact identifiers in a text, as written, in order, without repeats.</summary>
    public static IReadOnlyList<string> Identifiers(string text, bool strongOnly = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = new List<string>();
        void Collect(Regex pattern)
        {
            foreach (Match match in pattern.Matches(text))
            {
                var value = match.Value.TrimEnd('.', ',', ';', ':', ')', ']', '!', '?', '\'', '"');
                if (value.Length > 1 && !found.Contains(value, StringComparer.Ordinal) && !found.Any(f => f.Contains(value, StringComparison.Ordinal)))
                {
                    found.Add(value);
                }
            }
        }

        Collect(UrlPattern());
        Collect(EmailPattern());
        Collect(PathPattern());
        Collect(TicketPattern());
        Collect(AmountPattern());
        Collect(DatePattern());
        if (!strongOnly)
        {
            Collect(TimePattern());
            Collect(NumberPattern());
            Collect(NamePattern());
        }

        return found;
    }

    /// <summary>Splits text into sentences at end punctuation followed by space, and at line breaks.</summary>
    public static IEnumerable<string> Sentences(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var line in text.Split('\n'))
        {
            var start = 0;
            for (var i = 0; i < line.Length; i++)
            {
                // A full stop inside "v2.1", "e.g." or a URL is not an end: require a space after it.
                if (line[i] is '.' or '!' or '?' && i + 1 < line.Length && line[i + 1] == ' ' && !(line[i] == '.' && i > 0 && char.IsDigit(line[i - 1]) && i + 2 < line.Length && char.IsDigit(line[i + 2])))
                {
                    var piece = line[start..(i + 1)].Trim();
                    if (piece.Length >= 3)
                    {
                        yield return piece;
                    }

                    start = i + 1;
                }
            }

            var rest = line[start..].Trim().TrimStart('-', '*', '•', ' ');
            if (rest.Length >= 3)
            {
                yield return rest;
            }
        }
    }

    /// <summary>Lower-cased letters and digits with single spaces: for "is this already in the context" checks.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                if (space && builder.Length > 0)
                {
                    builder.Append(' ');
                }

                builder.Append(char.ToLowerInvariant(c));
                space = false;
            }
            else
            {
                space = true;
            }
        }

        return builder.ToString();
    }

    // A guard against pathological input, not a latency budget: at 50 ms a match on a busy
    // 2-core machine (a preempted thread, a GC) timed out and the sentence was silently dropped.
    private const int TimeoutMs = 1000;

    [GeneratedRegex(@"https?://[^\s<>""']+", RegexOptions.IgnoreCase, TimeoutMs)]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", RegexOptions.None, TimeoutMs)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"(?<![\w/])(?:~|\.{1,2})?/(?:[\w.@-]+/)+[\w.@-]+|\b[A-Za-z]:\\(?:[\w .-]+\\)*[\w.-]+", RegexOptions.None, TimeoutMs)]
    private static partial Regex PathPattern();

    // ABC-123, INC0012345, #4521, PR 77, order 88213.
    [GeneratedRegex(@"\b[A-Z][A-Z0-9]{1,9}-\d{1,9}\b|\b(?:INC|REQ|CHG|RITM|TKT|SR|CASE)\d{3,12}\b|(?<!\w)#\d{2,9}\b|\b(?:ticket|order|invoice|case|issue|PR|booking|reference|ref|confirmation)\s*(?:no\.?|number|#)?\s*:?\s*[A-Z0-9][A-Z0-9-]{3,}\b", RegexOptions.None, TimeoutMs)]
    private static partial Regex TicketPattern();

    [GeneratedRegex(@"[$€£¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|bn|million|billion))?\b|\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|CHF|JPY|dollars|euros|pounds|bucks)\b", RegexOptions.IgnoreCase, TimeoutMs)]
    private static partial Regex AmountPattern();

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b|\b(?:next|this|on|by|until)\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", RegexOptions.None, TimeoutMs)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"\b\d{1,2}:\d{2}\s?(?:am|pm)?\b|\b\d{1,2}\s?(?:am|pm)\b", RegexOptions.IgnoreCase, TimeoutMs)]
    private static partial Regex TimePattern();

    // Long numbers (phone, account, order numbers), not years or small counts.
    [GeneratedRegex(@"(?<![\w.])\+?\d[\d -]{4,}\d\b", RegexOptions.None, TimeoutMs)]
    private static partial Regex NumberPattern();

    // Two capitalised words inside a sentence ("Maria Lopez"), or a name after "name is" / "call me".
    [GeneratedRegex(@"(?<=[a-z,;:] )[A-Z][a-z]{1,20}(?: [A-Z][a-z]{1,20})+\b|(?<=\b(?:name is|call me|named|called) )[A-Z][a-z]{1,20}\b", RegexOptions.None, TimeoutMs)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"\b(?:decided|decide to|decision|we(?:'ll| will) go with|let's go with|go with|agreed|agree to|settled on|chose|choose|going with|we(?:'ll| will) use|let's use|final answer|approved)\b", RegexOptions.IgnoreCase, TimeoutMs)]
    private static partial Regex DecisionPattern();

    [GeneratedRegex(@"\b(?:TODO|to-do|to do list|action item|follow[- ]up|don't forget|do not forget|remind me|reminder|deadline|due (?:on|by)|pending)\b", RegexOptions.IgnoreCase, TimeoutMs)]
    private static partial Regex TodoPattern();

    [GeneratedRegex(@"\b(?:please|can you|could you|would you|I need|we need|need to|needs to|have to|has to|must|make sure|remember|keep in mind|by (?:tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|eod|end of (?:day|week|month)))\b", RegexOptions.IgnoreCase, TimeoutMs)]
    private static partial Regex RequestPattern();

    [GeneratedRegex(@"\bI(?:'ll| will| am going to|'m going to) (?!be |have |help)\w+", RegexOptions.None, TimeoutMs)]
    private static partial Regex PromisePattern();

    [GeneratedRegex(@"\b(?:I (?:really |strongly |always |usually |generally )?(?:prefer|like|love|enjoy|hate|dislike|can't stand|don't like|do not like|don't want|do not want|want you to)|I(?:'m| am) (?:allergic|vegetarian|vegan|lactose)|my (?:favou?rite|preferred)|call me|please (?:always|never|don't|do not)|(?:always|never) (?:use|send|reply|answer|call|write)|in (?:metric|imperial)|short answers|keep it short)\b", RegexOptions.IgnoreCase, TimeoutMs)]
    private static partial Regex PreferencePattern();
}
