using Microsoft.Data.Sqlite;

namespace Mnemo.Storage;

/// <summary>The embedded store's failures: a full disk, the database locked by another process, and Mnemo's own store exceptions.</summary>
public sealed class SqliteStoreErrors : IStoreErrorClassifier
{
    private const int Busy = 5;
    private const int Locked = 6;

    public StoreFailure? Classify(Exception exception) => exception switch
    {
        StoreUnavailableException => new(StoreFailureKind.Unavailable, exception.Message),
        StoreFullException => new(StoreFailureKind.Full, exception.Message),
        _ when StoreFullException.IsOutOfSpace(exception) => new(StoreFailureKind.Full, StoreFullException.Describe(exception)),
        SqliteException { SqliteErrorCode: Busy or Locked } => new(
            StoreFailureKind.Busy,
            "the database in the data directory is locked by another process; the request did not complete and can be sent again (nothing it stored already is stored twice)"),
        _ => null,
    };
}
