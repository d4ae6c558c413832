namespace Mnemo.Signals;

/// <summary>Runs the detectors and stores what they find, deduplicated by key.</summary>
public sealed class SignalService(SignalDetector detector, SignalStore store)
{
    public SignalStore Store => store;

    /// <summary>Detects and stores; returns the signals that are new this run.</summary>
    public async Task<IReadOnlyList<Signal>> DetectAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var added = new List<Signal>();
        foreach (var detected in await detector.DetectAsync(now, cancellationToken).ConfigureAwait(false))
        {
            var (signal, isNew) = await store.UpsertAsync(detected, now, cancellationToken).ConfigureAwait(false);
            if (isNew)
            {
                added.Add(signal);
            }
        }

        return added;
    }
}
