using System.Text.RegularExpressions;

namespace Mnemo.Search;

/// <summary>What kind of answer a question asks for, and whether a memory's text can give it.</summary>
public static partial class AnswerText
{
    /// <summary>True for questions about a time or a duration: "When did...", "How long...", "What year...", "Since when...".</summary>
    public static bool AsksWhen(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return AsksWhenPattern().IsMatch(query);
    }

    /// <summary>True when the text places something in time: a date, a weekday, "last week", "two years ago", "for a month now".</summary>
    public static bool SaysWhen(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SaysWhenPattern().IsMatch(text);
    }

    [GeneratedRegex(@"^\s*(?:when\b|how\s+long\b|since\s+when\b|what\s+(?:year|month|day|date|time)\b|which\s+(?:year|month|day|date)\b|how\s+many\s+(?:days|weeks|months|years)\b)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AsksWhenPattern();

    [GeneratedRegex(@"\b(?:yesterday|today|tonight|tomorrow|recently|lately|ago|last\s+(?:night|week|weekend|month|year|time|monday|tuesday|wednesday|thursday|friday|saturday|sunday|spring|summer|fall|autumn|winter)|this\s+(?:morning|week|weekend|month|year|past)|next\s+(?:week|month|year)|(?:for|since|in)\s+(?:the\s+)?(?:past\s+)?(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|a\s+couple(?:\s+of)?|several)\s+(?:days?|weeks?|months?|years?)|(?:19|20)\d{2}|(?:mon|tues|wednes|thurs|fri|satur|sun)day|january|february|march|april|june|july|august|september|october|november|december|(?:a|one|two|three|few)\s+(?:days?|weeks?|months?|years?)\s+(?:ago|now|back))\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SaysWhenPattern();
}
