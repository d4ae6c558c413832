using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mnemo.Server.Hosting;

/// <summary>
/// The latest health report. .NET's health-check publisher runs the checks on a period in the
/// background (the embedding model, store queries, the Telegram probe: too much to run per
/// request) and hands each report here; a reader asks for a report no older than it can use and
/// only then are the checks run, by one caller at a time. Ages are real time, whatever clock
/// the rest of Mnemo is given.
/// </summary>
public sealed class HealthReportCache(HealthCheckService health) : IHealthCheckPublisher, IDisposable
{
    /// <summary>How often the checks run in the background.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (HealthReport Report, long At)? _latest;

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        _latest = (report, Stopwatch.GetTimestamp());
        return Task.CompletedTask;
    }

    /// <summary>
    /// The latest report when it is younger than <paramref name="maxAge"/>, else a new one. Callers
    /// that arrive while the checks run share that run's report (<see cref="TimeSpan.Zero"/> asks
    /// for a report made after the call, and a burst of calls still runs the checks once).
    /// </summary>
    public async Task<HealthReport> GetAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var asked = Stopwatch.GetTimestamp();
        if (Fresh(maxAge) is { } report)
        {
            return report;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Fresh(maxAge) is { } again)
            {
                return again;
            }

            if (_latest is { } latest && latest.At > asked)
            {
                return latest.Report;
            }

            var checkedNow = await health.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
            _latest = (checkedNow, Stopwatch.GetTimestamp());
            return checkedNow;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private HealthReport? Fresh(TimeSpan maxAge) =>
        _latest is { } latest && Stopwatch.GetElapsedTime(latest.At) <= maxAge ? latest.Report : null;
}
