namespace Mnemo.Digests;

/// <summary>How digests are written and where they go (config section <c>Digests</c>).</summary>
public sealed record DigestOptions
{
    public int HourlyMaxLines { get; set; } = 8;

    public int DailyMaxLines { get; set; } = 12;

    public int WeeklyMaxLines { get; set; } = 16;

    /// <summary>Most memories offered to the model for one digest.</summary>
    public int MaxModelSources { get; set; } = 40;

    /// <summary>How far back the hourly job fills hours it has not summarized yet (after downtime).</summary>
    public int CatchUpHours { get; set; } = 24;

    /// <summary>Append the daily sync to the agent's OpenClaw workspace <c>memory/YYYY-MM-DD.md</c>.</summary>
    public bool WriteWorkspace { get; set; } = true;

    /// <summary>Size cap of the proposed durable facts file (<c>memory/mnemo-facts.md</c>); the oldest facts go first.</summary>
    public int CuratedMaxBytes { get; set; } = 8192;

    /// <summary>What is delivered to the user: any of hourly, daily, weekly, signals (default: daily, weekly, signals).</summary>
    /// <remarks>Null by default: the configuration binder appends to a list that already has items.</remarks>
    public IList<string>? Deliver { get; set; }

    public IReadOnlyList<string> DeliveredKinds => Deliver is { } kinds ? [.. kinds] : ["daily", "weekly", "signals"];
}
