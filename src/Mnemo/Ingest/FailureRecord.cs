namespace Mnemo.Ingest;

/// <summary>How often something failed, and the last time and reason; thread-safe.</summary>
public sealed class FailureRecord(TimeProvider time)
{
    private readonly Lock _gate = new();
    private (long Count, DateTimeOffset? At, string? Reason) _state;

    public (long Count, DateTimeOffset? At, string? Reason) Snapshot
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The thing works again: forget the failures (a failure after this counts from one).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _state = default;
        }
    }

    public void Record(string reason)
    {
        lock (_gate)
        {
            _state = (_state.Count + 1, time.GetUtcNow(), reason);
        }
    }
}
