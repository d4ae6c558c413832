using Microsoft.Data.Sqlite;

namespace Mnemo.Storage;

/// <summary>
/// The database could not be written because the disk under it is full, a file-size limit was
/// reached, or the disk failed. SQLite rolled the write back: nothing of it was stored, and the
/// same write works again once there is room.
/// </summary>
public sealed class StoreFullException : Exception
{
    public StoreFullException()
    {
    }

    public StoreFullException(string message)
        : base(message)
    {
    }

    public StoreFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// SQLITE_FULL, or an I/O error while writing (a file-size limit makes <c>write</c> fail with
    /// EFBIG, which SQLite reports as SQLITE_IOERR, not SQLITE_FULL). Read errors are not this.
    /// </summary>
    public static bool IsOutOfSpace(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 13 }
        || exception is SqliteException { SqliteErrorCode: 10 } io && io.SqliteExtendedErrorCode is not (IoErrRead or IoErrShortRead);

    /// <summary>What went wrong, for health: the likely causes and what SQLite said.</summary>
    public static string Cause(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var said = exception is SqliteException sqlite
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{FirstLine(sqlite.Message).TrimEnd('.')}, extended code {sqlite.SqliteExtendedErrorCode}")
            : FirstLine(exception.Message);
        return $"the database could not be written: the disk holding the data directory is full, a file-size limit was reached, or the disk failed ({said})";
    }

    /// <summary>What the user is told: what happened, that nothing was stored, and what to do.</summary>
    public static string Describe(Exception exception) =>
        $"{Cause(exception)}; nothing of this request was stored. Free space and send it again";

    private const int IoErrRead = 266;
    private const int IoErrShortRead = 522;

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
