namespace Mnemo.Digests;

/// <summary>Which digest: the hourly summary, the daily sync or the weekly synthesis.</summary>
public enum DigestKind
{
    Hourly,
    Daily,
    Weekly,
}

/// <summary>One line of a digest and the memories it came from.</summary>
/// <param name="Section">Heading it sits under (Decisions, Open items, ...).</param>
/// <param name="External">
/// The line quotes external content (an e-mail, a webhook, a forwarded message): it sits under
/// <see cref="ExtractiveSummarizer.External"/>, quoted, and never becomes a decision, a fact or an
/// instruction in anything written for the agent.
/// </param>
public sealed record DigestLine(string Section, string Text, IReadOnlyList<long> MemoryIds, bool External = false);

/// <summary>A stored digest.</summary>
/// <param name="Agent">The agent it covers; <see cref="AllAgents"/> for the weekly synthesis.</param>
/// <param name="Method"><c>extractive</c> or <c>model</c>.</param>
/// <param name="Sources">How many memories it was made from.</param>
/// <param name="MemoryId">The digest stored as a memory (searchable), once it is.</param>
/// <param name="PromptRunId">The three-pass record behind it, when a model wrote it.</param>
public sealed record Digest(
    long Id,
    DigestKind Kind,
    string Agent,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    string Method,
    string Text,
    IReadOnlyList<DigestLine> Lines,
    int Sources,
    long? MemoryId,
    long? PromptRunId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DeliveredAt)
{
    /// <summary>The agent name of digests that cover every agent.</summary>
    public const string AllAgents = "*";

    /// <summary>The digest's id in citations and callback data: <c>d42</c>.</summary>
    public string Handle => $"d{Id}";
}
