namespace Mnemo.Signals;

/// <summary>What a detector found: the kinds of signal.</summary>
public static class SignalKinds
{
    /// <summary>The same topic is active in two or more agents.</summary>
    public const string SharedTopic = "shared-topic";

    /// <summary>The user asked for the same thing three or more times without it being resolved.</summary>
    public const string RepeatedRequest = "repeated-request";

    /// <summary>A commitment or deadline is coming due (or just passed).</summary>
    public const string Deadline = "deadline";

    /// <summary>A question of the user's got no answer.</summary>
    public const string UnansweredQuestion = "unanswered-question";

    /// <summary>Several negative or frustrated user turns in a row.</summary>
    public const string Frustration = "frustration";

    /// <summary>An agent's activity dropped or spiked against its usual level.</summary>
    public const string Activity = "activity";
}

/// <summary>A detector's finding before it is stored.</summary>
/// <param name="Key">Stable across runs: the same finding detected again updates the stored signal.</param>
/// <param name="Severity"><c>info</c>, <c>warning</c> or <c>critical</c>.</param>
/// <param name="Evidence">The memories it rests on.</param>
public sealed record DetectedSignal(string Kind, string Key, string Severity, string Title, IReadOnlyList<string> Agents, IReadOnlyList<long> Evidence, DateTimeOffset? DueAt = null);

/// <summary>A stored signal.</summary>
public sealed record Signal(
    long Id,
    string Kind,
    string Key,
    string Severity,
    string Title,
    IReadOnlyList<string> Agents,
    IReadOnlyList<long> Evidence,
    DateTimeOffset? DueAt,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    int Detections,
    DateTimeOffset? DeliveredAt)
{
    /// <summary>The signal's id in callback data and links: <c>s42</c>.</summary>
    public string Handle => $"s{Id}";
}
