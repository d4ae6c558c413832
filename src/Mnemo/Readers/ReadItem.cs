using Mnemo.Domain;

namespace Mnemo.Readers;

/// <summary>What a reader yields: turns, problems it skipped, and checkpoints.</summary>
public abstract record ReadItem;

/// <summary>A turn read from the source.</summary>
public sealed record TurnRead(Turn Turn) : ReadItem;

/// <summary>Something the reader could not read and skipped.</summary>
public sealed record IssueRead(ReadIssue Issue) : ReadItem;

/// <summary>
/// Everything yielded before this item is fully read; <paramref name="Cursor"/> lets a later run
/// resume right after it. The ingest pipeline persists it in the same transaction as the turns.
/// </summary>
public sealed record CheckpointRead(string Cursor) : ReadItem;

/// <summary>A compaction entry read from a transcript.</summary>
public sealed record CompactionRead(CompactionEvent Compaction) : ReadItem;

/// <summary>A reset entry read from a transcript: the session started over under the same id.</summary>
public sealed record ResetRead(SessionReset Reset) : ReadItem;

/// <summary>A voice note's message: which audio file it carried and who sent it.</summary>
public sealed record VoiceNoteRead(VoiceSender Sender) : ReadItem;
