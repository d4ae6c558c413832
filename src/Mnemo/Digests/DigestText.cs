using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Mnemo.Digests;

/// <summary>Digests as Markdown, and model output back into cited lines.</summary>
public static partial class DigestText
{
    /// <summary>A heading line and the lines grouped under their sections, each with its citations.</summary>
    public static string Render(string title, IReadOnlyList<DigestLine> lines, int headingLevel = 3)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"**{title}**\n");
        if (lines.Count == 0)
        {
            text.Append("\nNothing worth noting.\n");
        }

        foreach (var section in lines.GroupBy(l => l.Section))
        {
            text.Append('\n').Append('#', headingLevel).Append(' ').Append(section.Key).Append('\n');
            foreach (var line in section)
            {
                text.Append("- ").Append(line.Text);
                if (line.MemoryIds.Count > 0)
                {
                    text.Append(' ').Append(ExtractiveSummarizer.Cite(line.MemoryIds));
                }

                text.Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>The title of a digest's text, as <see cref="Render"/> wrote it on its first line.</summary>
    public static string Title(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = text.Split('\n', 2)[0].Trim();
        return first.StartsWith("**", StringComparison.Ordinal) && first.EndsWith("**", StringComparison.Ordinal) && first.Length > 4 ? first[2..^2] : first;
    }

    /// <summary>
    /// Reads a model's Markdown back into lines: headings start sections, every other non-empty line
    /// is a line, its <c>[m123]</c> citations kept when they name one of the sources.
    /// </summary>
    public static IReadOnlyList<DigestLine> Parse(string text, IReadOnlySet<long> sourceIds, string defaultSection = "Summary")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceIds);
        var lines = new List<DigestLine>();
        var section = defaultSection;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                section = line.TrimStart('#').Trim().Trim('*').Trim();
                continue;
            }

            if (line.StartsWith("**", StringComparison.Ordinal) && line.EndsWith("**", StringComparison.Ordinal) && line.Length > 4)
            {
                section = line.Trim('*').Trim().TrimEnd(':');
                continue;
            }

            var ids = Citation().Matches(line).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Where(sourceIds.Contains).Distinct().ToList();
            var body = Citation().Replace(BulletPrefix().Replace(line, string.Empty), string.Empty).Trim();
            body = Spaces().Replace(body, " ").Replace(" .", ".", StringComparison.Ordinal).Replace(" ,", ",", StringComparison.Ordinal);
            if (body.Length > 0)
            {
                lines.Add(new DigestLine(section, body, ids));
            }
        }

        return lines;
    }

    [GeneratedRegex(@"\[m(\d{1,18})\]", RegexOptions.None, 200)]
    private static partial Regex Citation();

    [GeneratedRegex(@"^(?:[-*•]\s+|\d{1,3}[.)]\s+)", RegexOptions.None, 200)]
    private static partial Regex BulletPrefix();

    [GeneratedRegex(@"\s{2,}", RegexOptions.None, 200)]
    private static partial Regex Spaces();
}
