using System.Text.RegularExpressions;

namespace Mnemo.Signals;

/// <summary>
/// Whether a user turn reads as negative or frustrated: a small lexicon of complaint words and
/// phrases, shouting and repeated punctuation. Hand-written: no sentiment package is served here
/// for .NET 10, and a run of frustrated turns is what matters, not a fine score.
/// </summary>
public static partial class Sentiment
{
    /// <summary>A score of this or more counts as negative.</summary>
    public const double NegativeThreshold = 1.0;

    public static double Negativity(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            double score = StrongPattern().Count(text) * 1.0;
            score += MildPattern().Count(text) * 0.5;
            score += text.Contains("!!", StringComparison.Ordinal) || text.Contains("?!", StringComparison.Ordinal) ? 0.5 : 0;
            var letters = text.Where(char.IsLetter).ToList();
            if (letters.Count >= 12 && letters.Count(char.IsUpper) > letters.Count * 0.7)
            {
                score += 0.5;
            }

            score -= PositivePattern().Count(text) * 0.75;
            return score;
        }
        catch (RegexMatchTimeoutException)
        {
            return 0;
        }
    }

    public static bool IsNegative(string text) => Negativity(text) >= NegativeThreshold;

    [GeneratedRegex(@"\b(?:wtf|useless|terrible|awful|horrible|ridiculous|frustrat\w*|annoy\w*|fed up|sick of|hate (?:this|it|that)|(?:still|again) (?:not|doesn't|don't|isn't|broken|wrong)|doesn't work|does not work|not working|still broken|what the hell|come on|are you kidding|for the \w+ time|stop (?:doing|saying)|this is (?:wrong|stupid|bad)|you keep|i already (?:told|said|asked))\b", RegexOptions.IgnoreCase, 200)]
    private static partial Regex StrongPattern();

    [GeneratedRegex(@"\b(?:wrong|broken|fail(?:ed|s|ing)?|error|ugh|seriously|again|why (?:is|does|did|can't|won't)|no,|nope|bad|worse|disappoint\w*|unhappy|upset|angry|confus\w*)\b", RegexOptions.IgnoreCase, 200)]
    private static partial Regex MildPattern();

    [GeneratedRegex(@"\b(?:thanks|thank you|great|perfect|awesome|love it|nice|works now|that worked|excellent)\b", RegexOptions.IgnoreCase, 200)]
    private static partial Regex PositivePattern();
}
