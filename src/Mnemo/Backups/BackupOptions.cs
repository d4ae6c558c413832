namespace Mnemo.Backups;

/// <summary>Where backups go and how long they are kept (config section <c>Backup</c>).</summary>
public sealed record BackupOptions
{
    /// <summary>
    /// The folder for backups; <c>&lt;data&gt;/backups</c> by default. Point it at another disk: a
    /// backup on the disk that failed is no backup.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>Daily backups (the 02:00 job) are deleted after this many days.</summary>
    public int KeepDailyDays { get; set; } = 7;

    /// <summary>One backup a week is kept as weekly, for this many weeks.</summary>
    public int KeepWeeklyWeeks { get; set; } = 4;

    /// <summary>The backup folder for a data directory.</summary>
    public string ResolveDirectory(string dataDirectory) =>
        string.IsNullOrWhiteSpace(Directory) ? Path.Combine(dataDirectory, "backups") : Path.GetFullPath(Directory);

    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (KeepDailyDays < 1)
        {
            throw new ArgumentException($"Backup:KeepDailyDays: {KeepDailyDays} must be at least 1");
        }

        if (KeepWeeklyWeeks < 0)
        {
            throw new ArgumentException($"Backup:KeepWeeklyWeeks: {KeepWeeklyWeeks} must be 0 or more");
        }
    }
}
