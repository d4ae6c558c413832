using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Mnemo.Voice.Queue;

namespace Mnemo.Server.Live;

/// <summary>
/// Queue depths as gauges (<c>mnemo.voice.queue</c> by state), sampled every 10 s in the background
/// so that a scrape never waits on the database.
/// </summary>
internal sealed class QueueGauges : BackgroundService
{
    public const string MeterName = "Mnemo.Queues";
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(10);
    private readonly VoiceJobStore _jobs;
    private readonly Meter _meter;
    private VoiceQueueStats _voice = new(0, 0, 0, 0);

    public QueueGauges(VoiceJobStore jobs, IMeterFactory meters)
    {
        _jobs = jobs;
        _meter = meters.Create(MeterName);
        _meter.CreateObservableGauge("mnemo.voice.queue", () => new[]
        {
            new Measurement<long>(_voice.Queued, new KeyValuePair<string, object?>("state", "queued")),
            new Measurement<long>(_voice.Running, new KeyValuePair<string, object?>("state", "running")),
            new Measurement<long>(_voice.Failed, new KeyValuePair<string, object?>("state", "failed")),
        }, "{note}", "voice notes in the queue, per state");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                _voice = await _jobs.StatsAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Microsoft.Data.Sqlite.SqliteException)
            {
                // The store is busy or gone; the gauge keeps its last value and health says why.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
