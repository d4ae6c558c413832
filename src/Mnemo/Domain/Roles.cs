namespace Mnemo.Domain;

/// <summary>
/// Who said a turn, as Mnemo stores it. Text from outside (the HTTP API, chat exports) may name only
/// these roles, so a role can never carry words of its own into what an agent is shown. Mnemo's
/// own entries add <c>note</c> (remembered on request) and <c>digest</c>.
/// </summary>
public static class Roles
{
    public const string User = "user";
    public const string Assistant = "assistant";
    public const string System = "system";
    public const string Tool = "tool";

    /// <summary>The roles a caller may send.</summary>
    public static readonly IReadOnlyList<string> Accepted = [User, Assistant, System, Tool];

    /// <summary>
    /// The stored role for a role as chat formats write it (any case; <c>human</c>, <c>ai</c>,
    /// <c>bot</c>, <c>model</c>, <c>developer</c>, <c>function</c> and <c>toolResult</c> as the
    /// formats that use them mean them); null for anything else.
    /// </summary>
    public static string? Normalize(string? role) => role?.Trim().ToLowerInvariant() switch
    {
        "user" or "human" => User,
        "assistant" or "ai" or "bot" or "model" => Assistant,
        "system" or "developer" => System,
        "tool" or "function" or "toolresult" or "tool_result" => Tool,
        _ => null,
    };
}
