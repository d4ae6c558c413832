using System.Text;
using System.Text.Json;

namespace Mnemo.Readers;

/// <summary>
/// Finds what to read under a path and which reader reads it: an OpenClaw state directory
/// (both storage eras), a single transcript or database, a dataset file, a chat log.
/// </summary>
public static class SourceDiscovery
{
    public static readonly IReadOnlyList<string> Formats = ["auto", "openclaw", "openclaw-sqlite", "locomo", "longmemeval", "chat-jsonl"];

    /// <summary>The sources under <paramref name="path"/>, each with its format.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    public static IReadOnlyList<(string Path, string Format)> Discover(string path, string format)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!Formats.Contains(format))
        {
            throw new ArgumentException($"unknown format '{format}'; use one of: {string.Join(", ", Formats)}", nameof(format));
        }

        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            var detected = format == "auto" ? Detect(full) : format;
            return detected is null ? [] : [(full, detected)];
        }

        if (!Directory.Exists(full))
        {
            throw new FileNotFoundException($"{path}: no such file or directory", path);
        }

        if (format is "auto" or "openclaw" or "openclaw-sqlite" && OpenClawAgentsDirectory(full) is { } agents)
        {
            return DiscoverOpenClaw(agents, format);
        }

        // An OpenClaw state directory before its first agent: nothing to read yet (its other
        // databases, state/openclaw.sqlite and the like, are not transcripts).
        if (format is "auto" or "openclaw" or "openclaw-sqlite" && File.Exists(Path.Combine(full, "openclaw.json")))
        {
            return [];
        }

        var found = new List<(string, string)>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var file in Directory.EnumerateFiles(full, "*", options).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            if (name.Contains(".jsonl.deleted.", StringComparison.Ordinal) || name.EndsWith("-wal", StringComparison.Ordinal) || name.EndsWith("-shm", StringComparison.Ordinal))
            {
                continue;
            }

            var detected = format == "auto" ? Detect(file) : (MatchesFormat(file, format) ? format : null);
            if (detected is not null)
            {
                found.Add((file, detected));
            }
        }

        return found;
    }

    /// <summary>
    /// The <c>agents</c> directory when <paramref name="directory"/> is an OpenClaw state directory
    /// (or its <c>agents</c> directory itself); null otherwise.
    /// </summary>
    public static string? OpenClawAgentsDirectory(string directory)
    {
        var agents = Path.Combine(directory, "agents");
        if (Directory.Exists(agents))
        {
            return agents;
        }

        return Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)) == "agents"
            && Directory.EnumerateDirectories(directory).Any(a => Directory.Exists(Path.Combine(a, "sessions")) || Directory.Exists(Path.Combine(a, "agent")))
            ? directory
            : null;
    }

    /// <summary>
    /// Only the transcripts of an OpenClaw state directory, both eras; the rest of it (workspace,
    /// media, plugins with their node_modules, configuration) is not conversation.
    /// </summary>
    private static List<(string, string)> DiscoverOpenClaw(string agents, string format)
    {
        var found = new List<(string, string)>();
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var agent in Directory.EnumerateDirectories(agents, "*", options).Order(StringComparer.Ordinal))
        {
            var sessions = Path.Combine(agent, "sessions");
            if (format != "openclaw-sqlite" && Directory.Exists(sessions))
            {
                found.AddRange(Directory.EnumerateFiles(sessions, "*", options)
                    .Where(f => OpenClawPaths.IsTranscriptFile(f))
                    .Order(StringComparer.Ordinal)
                    .Select(f => (f, "openclaw")));
            }

            var database = Path.Combine(agent, "agent", OpenClawPaths.AgentDatabaseName);
            if (format != "openclaw" && File.Exists(database))
            {
                found.Add((database, "openclaw-sqlite"));
            }
        }

        return found;
    }

    public static ITurnReader CreateReader(string format) => format switch
    {
        "openclaw" => new OpenClawJsonlReader(),
        "openclaw-sqlite" => new OpenClawSqliteReader(),
        "chat-jsonl" => new ChatJsonlReader(),
        "locomo" or "longmemeval" => new DatasetReader(format),
        _ => throw new ArgumentException($"no reader for format '{format}'", nameof(format)),
    };

    private static bool MatchesFormat(string file, string format) => format switch
    {
        "openclaw" => OpenClawPaths.IsTranscriptFile(file),
        "openclaw-sqlite" => Path.GetFileName(file) == OpenClawPaths.AgentDatabaseName || IsSqlite(file),
        "chat-jsonl" => file.EndsWith(".jsonl", StringComparison.Ordinal),
        _ => file.EndsWith(".json", StringComparison.Ordinal),
    };

    /// <summary>Decides a file's format from its name and first bytes; null when it is not something Mnemo reads.</summary>
    public static string? Detect(string file)
    {
        var name = Path.GetFileName(file);
        if (name == OpenClawPaths.AgentDatabaseName || IsSqlite(file))
        {
            return "openclaw-sqlite";
        }

        if (name.EndsWith(".jsonl", StringComparison.Ordinal) || name.Contains(".jsonl.reset.", StringComparison.Ordinal))
        {
            var first = FirstLine(file);
            if (first is null)
            {
                return OpenClawPaths.IsTranscriptFile(file) ? "openclaw" : null;
            }

            try
            {
                using var document = JsonDocument.Parse(first);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out _))
                {
                    return "openclaw";
                }

                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("role", out _))
                {
                    return "chat-jsonl";
                }
            }
            catch (JsonException)
            {
                // A damaged first line: let the reader report it line by line.
            }

            return file.Contains($"{Path.DirectorySeparatorChar}sessions{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "openclaw" : "chat-jsonl";
        }

        if (name.EndsWith(".json", StringComparison.Ordinal))
        {
            var head = Head(file, 1024 * 1024).TrimStart();
            if (!head.StartsWith('['))
            {
                return null;
            }

            if (head.Contains("\"haystack_sessions\"", StringComparison.Ordinal) && head.Contains("\"question_id\"", StringComparison.Ordinal))
            {
                return "longmemeval";
            }

            if ((head.Contains("\"conversation\"", StringComparison.Ordinal) && head.Contains("\"speaker_a\"", StringComparison.Ordinal))
                || (head.Contains("\"qa\"", StringComparison.Ordinal) && head.Contains("\"evidence\"", StringComparison.Ordinal) && head.Contains("\"category\"", StringComparison.Ordinal)))
            {
                return "locomo";
            }
        }

        return null;
    }

    private static bool IsSqlite(string file)
    {
        try
        {
            using var stream = File.OpenRead(file);
            Span<byte> header = stackalloc byte[16];
            return stream.Read(header) == 16 && header.SequenceEqual("SQLite format 3\0"u8);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? FirstLine(string file)
    {
        var head = Head(file, 1024 * 1024);
        var line = head.Split('\n', 2)[0].Trim();
        return line.Length == 0 ? null : line;
    }

    private static string Head(string file, int bytes)
    {
        try
        {
            using var stream = File.OpenRead(file);
            var buffer = new byte[Math.Min(bytes, stream.Length)];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
