namespace Mnemo.Retention;

/// <summary>What the bridge plugin asks before a turn.</summary>
/// <param name="Agent">The agent id.</param>
/// <param name="Session">The session id (the transcript's), when known.</param>
/// <param name="SessionKey">The host's session key, when known.</param>
/// <param name="Prompt">The user's prompt for this turn.</param>
/// <param name="InContext">Texts still in the model's context (kept messages, the compaction summary): nothing they say is repeated.</param>
/// <param name="TokenBudget">Overrides the configured budget when set.</param>
public sealed record RetainedContextRequest(
    string Agent,
    string? Session,
    string? SessionKey,
    string Prompt,
    IReadOnlyList<string>? InContext = null,
    int? TokenBudget = null);
