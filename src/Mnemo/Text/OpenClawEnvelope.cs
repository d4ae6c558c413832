using System.Text;
using System.Text.RegularExpressions;

namespace Mnemo.Text;

/// <summary>
/// Removes what OpenClaw wraps around a message that is not the speaker's own words, and marks
/// external content as untrusted. Facts from OPENCLAW.md: <c>... (untrusted metadata):</c> JSON
/// blocks, <c>[[reply_to_current]]</c>-style tags, <c>&lt;&lt;&lt;EXTERNAL_UNTRUSTED_CONTENT&gt;&gt;&gt;</c>
/// wrappers with their security notice, heartbeat polls and <c>NO_REPLY</c>.
/// </summary>
internal static partial class OpenClawEnvelope
{
    /// <summary>Replies that carry no content: the agent chose to stay silent.</summary>
    private static readonly HashSet<string> SilentReplies = new(StringComparer.Ordinal)
    {
        "NO_REPLY", "HEARTBEAT_OK",
    };

    public static EnvelopeResult Strip(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length == 0 || SilentReplies.Contains(trimmed))
        {
            return new EnvelopeResult(string.Empty, Untrusted: false, Skip: true);
        }

        if (IsHeartbeatPoll(trimmed))
        {
            return new EnvelopeResult(string.Empty, Untrusted: false, Skip: true);
        }

        var untrusted = false;
        var result = trimmed;
        if (result.Contains("<<<EXTERNAL_UNTRUSTED_CONTENT", StringComparison.Ordinal))
        {
            untrusted = true;
            result = ExtractExternalContent(result);
        }

        result = MetadataBlock().Replace(result, string.Empty);
        result = ReplyTag().Replace(result, string.Empty);
        result = ExcessBlankLines().Replace(result, "\n\n").Trim();
        return new EnvelopeResult(result, untrusted, Skip: result.Length == 0 || SilentReplies.Contains(result));
    }

    private static bool IsHeartbeatPoll(string text) =>
        text.StartsWith("Read HEARTBEAT.md", StringComparison.Ordinal)
        || (text.Contains("HEARTBEAT.md", StringComparison.Ordinal) && text.Contains("HEARTBEAT_OK", StringComparison.Ordinal));

    /// <summary>
    /// Keeps the wrapped external content (it is what the message was about) and drops the
    /// security notice and scheduling boilerplate OpenClaw puts around it.
    /// </summary>
    private static string ExtractExternalContent(string text)
    {
        var builder = new StringBuilder();
        foreach (Match match in ExternalContent().Matches(text))
        {
            if (builder.Length > 0)
            {
                builder.Append("\n\n");
            }

            builder.Append(match.Groups["body"].Value.Trim());
        }

        // An unterminated wrapper (truncated event): keep everything after the opening marker.
        if (builder.Length == 0)
        {
            var start = text.IndexOf("<<<EXTERNAL_UNTRUSTED_CONTENT", StringComparison.Ordinal);
            var afterMarker = text.IndexOf(">>>", start, StringComparison.Ordinal);
            builder.Append(afterMarker < 0 ? string.Empty : text[(afterMarker + 3)..].Trim());
        }

        return builder.ToString();
    }

    // Non-backtracking: with backtracking, each unterminated opener scanned to the end of the text
    // (quadratic: a million characters took 2 s). Linear whatever the text holds.
    [GeneratedRegex(@"<<<EXTERNAL_UNTRUSTED_CONTENT[^>]*>>>(?<body>.*?)<<<END_EXTERNAL_UNTRUSTED_CONTENT[^>]*>>>", RegexOptions.Singleline | RegexOptions.NonBacktracking)]
    private static partial Regex ExternalContent();

    [GeneratedRegex(@"^[^\n]{0,80}\(untrusted metadata\):[ \t]*\n```(?:json)?\n.*?\n```[ \t]*\n?", RegexOptions.Singleline | RegexOptions.Multiline | RegexOptions.NonBacktracking)]
    private static partial Regex MetadataBlock();

    [GeneratedRegex(@"\[\[\s*(?:reply_to_current|reply_to|audio_as_voice|tts)[^\]]{0,80}\]\]", RegexOptions.NonBacktracking)]
    private static partial Regex ReplyTag();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex ExcessBlankLines();
}
