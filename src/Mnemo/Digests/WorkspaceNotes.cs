using System.Globalization;
using System.Text;

namespace Mnemo.Digests;

/// <summary>
/// Writes the daily sync into an OpenClaw workspace, where OpenClaw's own memory search reads it:
/// appended once per agent and day to <c>memory/YYYY-MM-DD.md</c> under a Mnemo heading (a marker
/// line makes a re-run a no-op), and durable facts proposed in <c>memory/mnemo-facts.md</c>, kept
/// under a size cap.
/// </summary>
public static class WorkspaceNotes
{
    public const string Heading = "## Mnemo daily sync";
    public const string FactsFile = "mnemo-facts.md";

    public static string Marker(string agent, DateOnly day) => $"<!-- mnemo:daily-sync agent={agent} day={day:yyyy-MM-dd} -->";

    /// <summary>Appends the daily sync unless the file already has it; returns the path written, or null when it was there.</summary>
    public static string? AppendDailySync(string workspace, string agent, DateOnly day, string body)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workspace);
        ArgumentNullException.ThrowIfNull(body);
        var directory = Path.Combine(workspace, "memory");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ".md");
        var marker = Marker(agent, day);
        if (File.Exists(path) && File.ReadAllText(path).Contains(marker, StringComparison.Ordinal))
        {
            return null;
        }

        var existing = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        var text = new StringBuilder();
        if (existing.Length > 0)
        {
            text.Append(existing.EndsWith('\n') ? "\n" : "\n\n");
        }

        text.Append(Heading).Append('\n').Append(marker).Append("\n\n").Append(body.TrimEnd()).Append('\n');
        File.AppendAllText(path, text.ToString());
        return path;
    }

    /// <summary>Adds facts not yet in the file; drops the oldest ones while the file is over <paramref name="maxBytes"/>.</summary>
    public static string ProposeFacts(string workspace, DateOnly day, IEnumerable<string> facts, int maxBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workspace);
        ArgumentNullException.ThrowIfNull(facts);
        var directory = Path.Combine(workspace, "memory");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FactsFile);
        var entries = File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.StartsWith("- ", StringComparison.Ordinal)).ToList()
            : [];
        var known = entries.Select(Key).ToHashSet(StringComparer.Ordinal);
        foreach (var fact in facts)
        {
            var entry = $"- {fact.Trim()} ({day:yyyy-MM-dd})";
            if (known.Add(Key(entry)))
            {
                entries.Add(entry);
            }
        }

        const string header = "# Durable facts proposed by Mnemo\n\nFacts from the daily syncs that look worth keeping. Move the ones you want into MEMORY.md; Mnemo keeps this file short by dropping the oldest.\n\n";
        while (entries.Count > 0 && Encoding.UTF8.GetByteCount(header + string.Join('\n', entries) + "\n") > maxBytes)
        {
            entries.RemoveAt(0);
        }

        var temporary = path + ".tmp";
        File.WriteAllText(temporary, header + string.Join('\n', entries) + "\n");
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private static string Key(string entry)
    {
        var text = entry.StartsWith("- ", StringComparison.Ordinal) ? entry[2..] : entry;
        var dated = text.LastIndexOf(" (", StringComparison.Ordinal);
        return Retention.SalientText.Normalize(dated > 0 ? text[..dated] : text);
    }
}
