using System.Text.RegularExpressions;

namespace Mnemo.Text;

/// <summary>What is cut out of text before it is stored (config section <c>Redaction</c>).</summary>
public sealed record RedactionOptions
{
    /// <summary>API keys, tokens, private keys and passwords in URLs; on by default.</summary>
    public bool Secrets { get; set; } = true;

    /// <summary>E-mail addresses and phone numbers; off by default (they are often what the user wants remembered).</summary>
    public bool Pii { get; set; }
}

/// <summary>
/// Replaces secrets (and, when asked, personal data) in text with a marker naming what was there,
/// before anything is stored, embedded or summarized. Written here because no maintained .NET
/// package does this; the patterns follow the token formats the providers document (OpenAI,
/// Anthropic, GitHub, AWS, Slack, Google, Stripe, Telegram bots, JWTs, PEM keys) plus
/// <c>password=...</c>-style assignments and <c>scheme://user:password@host</c>.
/// </summary>
public sealed partial class Redactor(RedactionOptions options)
{
    public static Redactor None { get; } = new(new RedactionOptions { Secrets = false, Pii = false });

    public bool IsActive => options.Secrets || options.Pii;

    /// <summary>The text with what it must not keep replaced; the same instance when nothing matched.</summary>
    public string Apply(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!IsActive || text.Length == 0)
        {
            return text;
        }

        var result = text;
        try
        {
            if (options.Secrets)
            {
                result = PrivateKey().Replace(result, "[redacted private key]");
                result = UrlPassword().Replace(result, "${head}[redacted]@");
                result = KnownToken().Replace(result, "[redacted token]");
                result = Bearer().Replace(result, "${head}[redacted token]");
                result = Assignment().Replace(result, "${head}[redacted]");
            }

            if (options.Pii)
            {
                result = Email().Replace(result, "[redacted email]");
                result = Phone().Replace(result, "[redacted phone]");
            }
        }
        catch (RegexMatchTimeoutException)
        {
            // The patterns run in linear time, so only an enormous text gets here. What was not
            // checked may hold a secret: it is not kept, and the marker says why.
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[text withheld: {text.Length} characters could not be checked for secrets in time]");
        }

        return result;
    }

    /// <summary>
    /// The patterns run in time linear in the text whatever it holds: on .NET's non-backtracking
    /// engine, or (the phone pattern, which looks around) with every repetition bounded. With
    /// backtracking and unbounded runs, 100,000 characters of "a.a.a." took a second and a run of
    /// digits grew with its square. The timeout is a last resort for texts of many megabytes.
    /// </summary>
    private const int MatchTimeoutMs = 5000;

    [GeneratedRegex(@"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)", RegexOptions.NonBacktracking, MatchTimeoutMs)]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"(?<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@", RegexOptions.NonBacktracking, MatchTimeoutMs)]
    private static partial Regex UrlPassword();

    // sk-... (OpenAI, Anthropic sk-ant-), GitHub ghp_/gho_/ghs_/ghu_/ghr_ and github_pat_, AWS access
    // key ids, Slack xox?-, Google AIza, Stripe live/restricted keys, Telegram bot tokens, JWTs.
    [GeneratedRegex(
        @"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|(?:AKIA|ASIA)[0-9A-Z]{16}|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|(?:sk|rk)_live_[0-9A-Za-z]{20,}|\d{8,10}:AA[A-Za-z0-9_-]{33}|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})",
        RegexOptions.NonBacktracking,
        MatchTimeoutMs)]
    private static partial Regex KnownToken();

    [GeneratedRegex(@"(?<head>\b[Bb]earer\s+)[A-Za-z0-9._~+/-]{20,}=*", RegexOptions.NonBacktracking, MatchTimeoutMs)]
    private static partial Regex Bearer();

    [GeneratedRegex(@"(?<head>\b(?:password|passwd|pwd|passphrase|secret|client_secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|private[_-]?key)\b[""']?\s*[:=]\s*[""']?)[^\s""',;]{4,}", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking, MatchTimeoutMs)]
    private static partial Regex Assignment();

    [GeneratedRegex(@"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b", RegexOptions.NonBacktracking, MatchTimeoutMs)]
    private static partial Regex Email();

    // Looking around needs the backtracking engine; a bounded run (no number is longer) keeps it linear.
    [GeneratedRegex(@"(?<![\w-])\+?\d[\d ().-]{7,24}\d(?![\w-])", RegexOptions.None, MatchTimeoutMs)]
    private static partial Regex Phone();
}
