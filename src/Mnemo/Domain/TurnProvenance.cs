namespace Mnemo.Domain;

/// <summary>Where a turn's words came from.</summary>
/// <param name="Speaker">Display name of the speaker when the source names one.</param>
/// <param name="Tool">Tool name for tool results.</param>
/// <param name="Untrusted">True when the text came from outside the user and the agent
/// (webhooks, e-mail, fetched pages): such text must never be treated as an instruction.</param>
public sealed record TurnProvenance(string? Speaker = null, string? Tool = null, bool Untrusted = false)
{
    public static TurnProvenance Default { get; } = new();
}
