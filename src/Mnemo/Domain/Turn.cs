namespace Mnemo.Domain;

/// <summary>
/// One normalized conversational turn, whatever the reader it came from. Readers produce turns;
/// only the ingest pipeline chunks, embeds and stores them.
/// </summary>
/// <param name="Agent">Agent id (OpenClaw agent, dataset speaker pair, ...).</param>
/// <param name="Session">Session id within the agent.</param>
/// <param name="EntryId">Stable id of the entry inside its session (used for idempotent re-ingest).</param>
/// <param name="ParentId">Parent entry id, when the source has one; may point at a missing entry.</param>
/// <param name="Role">Normalized role: user, assistant, tool, system, or a speaker name for datasets.</param>
/// <param name="Text">The words, stripped of host envelopes.</param>
/// <param name="Timestamp">When the turn happened, if known.</param>
/// <param name="Source">Path or database the turn was read from.</param>
/// <param name="Sequence">Position of the turn in its session, monotonically increasing.</param>
/// <param name="Provenance">Who said it and whether it is trusted.</param>
public sealed record Turn(
    string Agent,
    string Session,
    string EntryId,
    string? ParentId,
    string Role,
    string Text,
    DateTimeOffset? Timestamp,
    string Source,
    long Sequence,
    TurnProvenance Provenance);
