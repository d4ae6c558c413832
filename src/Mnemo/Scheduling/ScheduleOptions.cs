namespace Mnemo.Scheduling;

/// <summary>
/// When the built-in scheduler runs each job (config section <c>Schedule</c>). Cron expressions have
/// five fields (minute hour day month weekday) and are read in <see cref="TimeZone"/>.
/// </summary>
public sealed record ScheduleOptions
{
    /// <summary>The jobs the product started with, and when they run.</summary>
    public static IReadOnlyDictionary<string, string> DefaultCrons { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [JobNames.HourlySummary] = "0 8-22 * * *",
        [JobNames.CompactionSweep] = "*/30 * * * *",
        [JobNames.Signals] = "0 */2 * * *",
        [JobNames.DailySync] = "0 21 * * *",
        [JobNames.WeeklySynthesis] = "0 22 * * 0",
        [JobNames.VoiceSweep] = "*/15 * * * *",
        [JobNames.Backup] = "0 2 * * *",
        [JobNames.Retention] = "30 3 * * *",
    };

    /// <summary>False turns the whole scheduler off (for users who run <c>mnemo run</c> from the system cron).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>An IANA or Windows time zone id, or <c>local</c> for the machine's zone.</summary>
    public string TimeZone { get; set; } = "local";

    /// <summary>Per job: <c>Cron</c> and <c>Enabled</c>. Jobs left out keep their defaults.</summary>
    public Dictionary<string, JobScheduleOptions> Jobs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How many times a failed run is retried before the job waits for its next occurrence.</summary>
    public int RetryAttempts { get; set; } = 3;

    /// <summary>The first retry's delay; each further retry waits twice as long.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a run holds a job before another process may take it over (a crashed run's lease expires).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The cron and on/off switch of a job, defaults applied.</summary>
    public JobScheduleOptions For(string job)
    {
        var configured = Jobs.TryGetValue(job, out var options) ? options : null;
        return new JobScheduleOptions
        {
            Cron = configured?.Cron ?? (DefaultCrons.TryGetValue(job, out var cron) ? cron : null),
            Enabled = configured?.Enabled ?? true,
        };
    }

    /// <summary>The configured zone; a clear error names a zone this machine does not know.</summary>
    public TimeZoneInfo ResolveTimeZone()
    {
        if (string.IsNullOrWhiteSpace(TimeZone) || TimeZone.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Local;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        }
        catch (TimeZoneNotFoundException ex)
        {
            throw new ArgumentException($"Schedule:TimeZone: '{TimeZone}' is not a time zone this machine knows (example: Europe/Berlin, UTC, local)", ex);
        }
    }
}

/// <summary>One job's schedule.</summary>
public sealed record JobScheduleOptions
{
    /// <summary>Five-field cron expression; null or empty means the job has no schedule.</summary>
    public string? Cron { get; set; }

    public bool? Enabled { get; set; }
}

/// <summary>The names of the built-in jobs, as <c>mnemo run</c> and the config spell them.</summary>
public static class JobNames
{
    public const string HourlySummary = "hourly-summary";
    public const string CompactionSweep = "compaction-sweep";
    public const string Signals = "signals";
    public const string DailySync = "daily-sync";
    public const string WeeklySynthesis = "weekly-synthesis";
    public const string VoiceSweep = "voice-sweep";
    public const string Backup = "backup";
    public const string Retention = "retention";
}
