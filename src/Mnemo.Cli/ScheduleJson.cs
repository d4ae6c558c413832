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

/// <summary>What <c>mnemo voice models list --json</c> prints, one per model.</summary>
internal sealed record ModelJson(string Name, int ApproximateMegabytes, bool Installed, string Path, bool Configured);

/// <summary>What <c>mnemo voice eval --json</c> prints.</summary>
internal sealed record VoiceEvalJson(string Engine, string Model, int Samples, double Wer, double RealTimeFactor, List<EvalSampleJson> Results);

internal sealed record EvalSampleJson(string File, int ReferenceWords, int Edits, double Wer, double AudioSeconds, double Seconds, string Hypothesis);

/// <summary><c>mnemo migrate --json</c></summary>
internal sealed record MigrateJson(string Target, long Embeddings, long Memories, long AuditEvents, long Cursors, long Records, bool Verified, IReadOnlyList<string> Mismatches);
