namespace Mnemo;

/// <summary>
/// Where memories live: <c>sqlite</c> (default: the data directory, nothing to install) or
/// <c>postgres</c>, one database several nodes share (<c>Store:Connection</c>, or
/// <c>MNEMO_Store__Connection</c> in the environment so the password stays out of config files).
/// </summary>
public sealed record StoreOptions
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public string Provider { get; init; } = Sqlite;

    /// <summary>Npgsql connection string for <c>postgres</c>. A secret: never logged.</summary>
    public string? Connection { get; init; }

    /// <summary>This node's name in job claims and the work queue; default host name and process id.</summary>
    public string? Node { get; init; }

    /// <summary>How long a node's claim on queued work lasts without renewal (how soon a dead node's work moves).</summary>
    public TimeSpan WorkLease { get; init; } = TimeSpan.FromSeconds(30);

    public bool IsShared => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase);

    public string NodeName => string.IsNullOrWhiteSpace(Node) ? FormattableString.Invariant($"{Environment.MachineName}:{Environment.ProcessId}") : Node;

    public void Validate()
    {
        if (!string.Equals(Provider, Sqlite, StringComparison.OrdinalIgnoreCase) && !IsShared)
        {
            throw new ArgumentException($"Store:Provider must be '{Sqlite}' or '{Postgres}', not '{Provider}'");
        }

        if (IsShared && string.IsNullOrWhiteSpace(Connection))
        {
            throw new ArgumentException("Store:Connection is required when Store:Provider is 'postgres' (example: Host=127.0.0.1;Port=5432;Database=mnemo;Username=mnemo; the password can come from MNEMO_Store__Connection or PGPASSWORD)");
        }

        if (WorkLease < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"Store:WorkLease must be at least one second, not {WorkLease}");
        }
    }
}
