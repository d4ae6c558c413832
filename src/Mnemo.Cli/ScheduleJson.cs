namespace Mnemo.Cli;

/// <summary>What <c>mnemo schedule --json</c> prints: one entry per job.</summary>
internal sealed record ScheduleJson(
    string Name, string Description, string? Cron, bool Enabled, bool Available, DateTimeOffset? NextRun, DateTimeOffset? LastStarted,
    DateTimeOffset? LastFinished, double? LastDurationMs, string? LastOutcome, string? LastDetail, int Failures);

/// <summary>What <c>mnemo run JOB --json</c> prints.</summary>
internal sealed record RunJson(string Job, bool Succeeded, DateTimeOffset Started, DateTimeOffset Finished, string Detail, string Where);

/// <summary>What <c>mnemo transcribe --json</c> prints.</summary>
internal sealed record TranscriptJson(string Text, string? Language, string Engine, string Model, double DurationSeconds, List<TranscriptSegmentJson> Segments);

internal sealed record TranscriptSegmentJson(double Start, double End, string Text);
