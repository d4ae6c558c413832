namespace Mnemo.Server.Hosting;

/// <summary>Following OpenClaw's transcripts (config section <c>OpenClaw</c>).</summary>
public sealed class OpenClawOptions
{
    /// <summary>The state directory; null means <c>$MNEMO_OPENCLAW_DIR</c> or <c>~/.openclaw</c>.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>Whether to follow it at all.</summary>
    public bool Follow { get; set; } = true;

    /// <summary>How often to look when no change notification arrives (the backstop).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public string ResolveStateDirectory() =>
        Path.GetFullPath(StateDirectory is { Length: > 0 } configured ? ExpandHome(configured)
            : Environment.GetEnvironmentVariable("MNEMO_OPENCLAW_DIR") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".openclaw"));

    private static string ExpandHome(string path) =>
        path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..])
            : path;
}
