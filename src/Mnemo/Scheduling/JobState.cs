namespace Mnemo.Scheduling;

/// <summary>A job's persisted state: what <c>mnemo schedule</c> and health show.</summary>
public sealed record JobState(
    string Name,
    DateTimeOffset? NextRun,
    DateTimeOffset? LastOccurrence,
    DateTimeOffset? LastStarted,
    DateTimeOffset? LastFinished,
    TimeSpan? LastDuration,
    string? LastOutcome,
    string? LastDetail,
    int Failures,
    string? LeaseOwner,
    DateTimeOffset? LeaseUntil)
{
    public static JobState Empty(string name) => new(name, null, null, null, null, null, null, null, 0, null, null);
}

/// <summary>A job as listed: its schedule and its state.</summary>
public sealed record ScheduledJobInfo(string Name, string Description, string? Cron, bool Enabled, bool Available, JobState State);

/// <summary>One finished run.</summary>
public sealed record JobRun(string Job, DateTimeOffset? Occurrence, int Attempt, JobTrigger Trigger, DateTimeOffset Started, DateTimeOffset Finished, bool Succeeded, string Detail);
