namespace Mnemo.Scheduling;

/// <summary>
/// Decides which node runs a scheduled occurrence when several nodes share one store. Each node's
/// scheduler fires on its own clock; the first to claim an occurrence runs it, the others skip it.
/// </summary>
public interface IJobCoordinator
{
    /// <summary>
    /// Claims an occurrence of a job for this node: a claim to run and then complete, or null when
    /// another node ran it already or is running the job now.
    /// </summary>
    Task<IJobClaim?> TryClaimAsync(string job, DateTimeOffset occurrence, CancellationToken cancellationToken);
}

/// <summary>A claimed occurrence; disposing it lets other nodes run the job again.</summary>
public interface IJobClaim : IAsyncDisposable
{
    /// <summary>Records how the run ended (a failed occurrence may be claimed again for its retry).</summary>
    Task CompleteAsync(bool succeeded, CancellationToken cancellationToken);
}
