namespace Mnemo.Domain;

/// <summary>
/// A compaction of an agent's conversation: the host summarised older entries and dropped them
/// from the model's context. Read from a transcript's <c>compaction</c> entry, or reported by the
/// bridge plugin (then without entry id and summary until the transcript is read).
/// </summary>
/// <param name="Agent">Agent id.</param>
/// <param name="Session">Session id (the transcript's id).</param>
/// <param name="EntryId">The transcript entry's id; null when only the plugin reported it.</param>
/// <param name="Sequence">Position of the entry in its session; null when only the plugin reported it.</param>
/// <param name="Timestamp">When it happened.</param>
/// <param name="TokensBefore">Context size before, in the host's tokens.</param>
/// <param name="TokensAfter">Context size after, when the host says.</param>
/// <param name="Summary">The summary that replaced the dropped entries.</param>
/// <param name="FirstKeptEntryId">Entries before this one left the context.</param>
/// <param name="Details">The host's extra facts: files read and changed, the latest unresolved request.</param>
/// <param name="Origin"><c>transcript</c> or <c>plugin</c>.</param>
/// <param name="SessionKey">The host's session key (<c>agent:main:main</c>), when known.</param>
public sealed record CompactionEvent(
    string Agent,
    string Session,
    string? EntryId,
    long? Sequence,
    DateTimeOffset Timestamp,
    long? TokensBefore,
    long? TokensAfter,
    string? Summary,
    string? FirstKeptEntryId,
    CompactionDetails Details,
    string Origin,
    string? SessionKey = null);
