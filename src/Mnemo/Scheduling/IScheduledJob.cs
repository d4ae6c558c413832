namespace Mnemo.Scheduling;

/// <summary>A unit of scheduled work. Runs are never concurrent with themselves.</summary>
public interface IScheduledJob
{
    string Name { get; }

    string Description { get; }

    /// <summary>Does the work; returns a short line for the run record ("3 digests written").</summary>
    /// <exception cref="Exception">Any failure: the run is recorded as failed and retried with backoff.</exception>
    Task<string> RunAsync(JobContext context, CancellationToken cancellationToken);
}

/// <summary>Why a run started.</summary>
public enum JobTrigger
{
    /// <summary>Its cron occurrence came.</summary>
    Schedule,

    /// <summary>Occurrences passed while Mnemo was down; run once at start.</summary>
    CatchUp,

    /// <summary>The previous attempt failed.</summary>
    Retry,

    /// <summary><c>mnemo run</c> or the API asked for it.</summary>
    Manual,
}

/// <summary>What a run knows about itself.</summary>
/// <param name="Occurrence">The cron occurrence it serves (null for a manual run).</param>
/// <param name="Started">When it started, from the scheduler's clock.</param>
/// <param name="Attempt">1 for the first try, 2 for the first retry, ...</param>
public sealed record JobContext(string Job, DateTimeOffset? Occurrence, DateTimeOffset Started, JobTrigger Trigger, int Attempt);
