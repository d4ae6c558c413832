using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Mnemo.Server.Dashboard;

/// <summary>Latency of one kind of request in one minute.</summary>
public sealed record LatencyMinute(DateTimeOffset Minute, long Count, double MeanMilliseconds, double MaxMilliseconds);

/// <summary>
/// Search and context latency per minute over the last day, for the dashboard's chart: listens to
/// the same histograms the metrics endpoint exports (<c>mnemo.search.duration</c>,
/// <c>mnemo.context.duration</c>), so the request paths record nothing twice. Kept in memory: it
/// starts empty when serve starts; Prometheus or OTLP keep the long history.
/// </summary>
public sealed class LatencyHistory : IDisposable
{
    public const string Search = "mnemo.search.duration";
    public const string Context = "mnemo.context.duration";
    private static readonly TimeSpan Kept = TimeSpan.FromDays(1);

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, long Minute), Bucket> _buckets = new();
    private readonly TimeProvider _time;

    public LatencyHistory(TimeProvider time)
    {
        _time = time;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == Telemetry.Name && instrument.Name is Search or Context)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => Record(instrument.Name, value));
        _listener.Start();
    }

    /// <summary>The minutes with requests of this kind, oldest first.</summary>
    public IReadOnlyList<LatencyMinute> Minutes(string name)
    {
        var oldest = Minute(_time.GetUtcNow() - Kept);
        return [.. _buckets
            .Where(b => b.Key.Name == name && b.Key.Minute >= oldest)
            .OrderBy(b => b.Key.Minute)
            .Select(b => b.Value.Snapshot(DateTimeOffset.FromUnixTimeSeconds(b.Key.Minute * 60)))];
    }

    public void Dispose() => _listener.Dispose();

    private void Record(string name, double milliseconds)
    {
        var minute = Minute(_time.GetUtcNow());
        _buckets.GetOrAdd((name, minute), _ => new Bucket()).Add(milliseconds);
        if (_buckets.Count > 4 * 24 * 60)
        {
            var oldest = Minute(_time.GetUtcNow() - Kept);
            foreach (var key in _buckets.Keys.Where(k => k.Minute < oldest))
            {
                _buckets.TryRemove(key, out _);
            }
        }
    }

    private static long Minute(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60;

    private sealed class Bucket
    {
        private readonly Lock _gate = new();
        private long _count;
        private double _sum;
        private double _max;

        public void Add(double milliseconds)
        {
            lock (_gate)
            {
                _count++;
                _sum += milliseconds;
                _max = Math.Max(_max, milliseconds);
            }
        }

        public LatencyMinute Snapshot(DateTimeOffset minute)
        {
            lock (_gate)
            {
                return new LatencyMinute(minute, _count, _count == 0 ? 0 : _sum / _count, _max);
            }
        }
    }
}
