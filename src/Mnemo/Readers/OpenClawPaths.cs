namespace Mnemo.Readers;

/// <summary>Where OpenClaw keeps things under its state directory (OPENCLAW.md).</summary>
internal static class OpenClawPaths
{
    public const string AgentDatabaseName = "openclaw-agent.sqlite";

    /// <summary>The agent id implied by <c>.../agents/&lt;agentId&gt;/sessions/x.jsonl</c> or <c>.../agents/&lt;agentId&gt;/agent/db</c>.</summary>
    public static string? AgentFromPath(string path)
    {
        var parts = Path.GetFullPath(path).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = parts.Length - 3; i >= 0; i--)
        {
            if (parts[i] == "agents" && i + 2 < parts.Length && parts[i + 2] is "sessions" or "agent")
            {
                return parts[i + 1];
            }
        }

        return null;
    }

    /// <summary>Session id from a transcript file name: <c>&lt;id&gt;.jsonl</c>, <c>&lt;id&gt;-topic-7.jsonl</c>, <c>&lt;id&gt;.jsonl.reset.&lt;ts&gt;</c>.</summary>
    public static string SessionFromFileName(string path)
    {
        var name = Path.GetFileName(path);
        var end = name.IndexOf(".jsonl", StringComparison.Ordinal);
        return end > 0 ? name[..end] : Path.GetFileNameWithoutExtension(name);
    }

    /// <summary>True for transcript files, including reset archives; deleted ones are the user's wish to forget.</summary>
    public static bool IsTranscriptFile(string path)
    {
        var name = Path.GetFileName(path);
        return name.EndsWith(".jsonl", StringComparison.Ordinal) || name.Contains(".jsonl.reset.", StringComparison.Ordinal);
    }
}
