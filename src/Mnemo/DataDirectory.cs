using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Mnemo;

/// <summary>
/// The data directory holds someone's conversations: only its owner may read it. Every file and
/// folder Mnemo makes is created private (the process's umask is tightened to 077 before anything
/// is written, so SQLite's WAL, the index, voice uploads, logs and backups are covered, whoever
/// creates them), and a directory found looser than that is tightened, with a warning.
/// </summary>
public static partial class DataDirectory
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode OthersBits = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static int _restricted;

    public static void Ensure(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        RestrictNewFiles();
        var existed = Directory.Exists(path);
        var info = Directory.CreateDirectory(path);
        if (!existed && !OperatingSystem.IsWindows())
        {
            info.UnixFileMode = Private;
        }
    }

    /// <summary>
    /// From now on this process creates files 0600 and directories 0700 (a stricter umask already
    /// set is kept). .NET has no managed way to set the umask, hence the call into libc.
    /// </summary>
    public static void RestrictNewFiles()
    {
        if (OperatingSystem.IsWindows() || Interlocked.Exchange(ref _restricted, 1) == 1)
        {
            return;
        }

        var previous = Umask(0b111_111);
        _ = Umask(previous | 0b000_111_111);
    }

    /// <summary>
    /// Takes group and other access away from the directory and everything in it, logging what was
    /// looser (a directory made by hand, an older Mnemo, a copy restored with its modes).
    /// Returns how many entries were tightened.
    /// </summary>
    public static int Tighten(string path, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(logger);
        if (OperatingSystem.IsWindows() || !Directory.Exists(path))
        {
            return 0;
        }

        // The directory and what Mnemo keeps in it, not whatever else someone put there.
        var tightened = 0;
        var root = new DirectoryInfo(path);
        var entries = new List<FileSystemInfo> { root };
        var recurse = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var entry in root.EnumerateFileSystemInfos("*", new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }).Where(e => IsMnemos(e.Name)))
        {
            entries.Add(entry);
            if (entry is DirectoryInfo folder)
            {
                entries.AddRange(folder.EnumerateFileSystemInfos("*", recurse));
            }
        }

        foreach (var entry in entries)
        {
            try
            {
                if ((entry.UnixFileMode & OthersBits) != 0)
                {
                    entry.UnixFileMode &= ~OthersBits;
                    tightened++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogNotTightened(logger, entry.FullName, ex.Message);
            }
        }

        if (tightened > 0)
        {
            LogTightened(logger, path, tightened);
        }

        return tightened;
    }

    /// <summary>The names Mnemo gives what it keeps in the data directory.</summary>
    private static bool IsMnemos(string name) =>
        name is "index" or "logs" or "voice" or "models" or "backups" or "config.json" or "serve.lock"
        || name.StartsWith("mnemo.db", StringComparison.Ordinal)
        || name.StartsWith(".restore-", StringComparison.Ordinal)
        || name.StartsWith("before-restore-", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "The data directory {Path} could be read by other users: {Count} files and folders now allow only their owner")]
    private static partial void LogTightened(ILogger logger, string path, int count);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Could not make {Path} private: {Reason}")]
    private static partial void LogNotTightened(ILogger logger, string path, string reason);
}
