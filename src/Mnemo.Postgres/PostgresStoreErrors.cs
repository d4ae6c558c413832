using Mnemo.Storage;

namespace Mnemo.Postgres;

/// <summary>The shared store's failures: PostgreSQL unreachable, restarting or shutting down.</summary>
public sealed class PostgresStoreErrors : IStoreErrorClassifier
{
    public StoreFailure? Classify(Exception exception) =>
        exception is not StoreUnavailableException && PostgresMemoryStore.IsUnavailable(exception)
            ? new(StoreFailureKind.Unavailable, $"the shared store is unreachable ({exception.Message}); try again when it is back")
            : null;
}
