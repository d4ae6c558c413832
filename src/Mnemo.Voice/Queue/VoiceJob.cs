namespace Mnemo.Voice.Queue;

/// <summary>A recording in the transcription queue.</summary>
/// <param name="Origin">How it came in: inbox, openclaw, api, cli.</param>
/// <param name="Status">queued, running, done or failed.</param>
public sealed record VoiceJob(
    long Id,
    string Path,
    string Origin,
    string? Agent,
    string? Session,
    string Status,
    int Attempts,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    long? MemoryId,
    TimeSpan? Duration,
    string? Language,
    string? Engine,
    string? Model);

/// <summary>The queue at a glance (for health and the dashboard).</summary>
public sealed record VoiceQueueStats(long Queued, long Running, long Done, long Failed);
