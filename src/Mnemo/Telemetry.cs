using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mnemo;

/// <summary>
/// Mnemo's metrics and traces, on .NET's own <see cref="Meter"/> and <see cref="ActivitySource"/>
/// (named <c>Mnemo</c>): OpenTelemetry in <c>mnemo serve</c> exports them (Prometheus at
/// <c>/metrics</c>, OTLP when configured); without a listener they cost next to nothing.
/// Tags carry kinds and names, never memory text.
/// </summary>
public static class Telemetry
{
    public const string Name = "Mnemo";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary>Turns stored by ingest (new or changed), per source kind.</summary>
    public static readonly Counter<long> IngestedTurns = Meter.CreateCounter<long>("mnemo.ingest.turns", "{turn}", "turns stored by ingest");

    /// <summary>From a turn's own time to its being stored, for turns of the last hour (the live path).</summary>
    public static readonly Histogram<double> IngestLag = Meter.CreateHistogram<double>("mnemo.ingest.lag", "s", "seconds from a live turn to its being searchable");

    public static readonly Histogram<double> SearchDuration = Meter.CreateHistogram<double>("mnemo.search.duration", "ms", "hybrid search latency");

    public static readonly Histogram<double> ContextDuration = Meter.CreateHistogram<double>("mnemo.context.duration", "ms", "retained-context latency");

    public static readonly Counter<long> JobRuns = Meter.CreateCounter<long>("mnemo.job.runs", "{run}", "scheduled job runs, per job and outcome");

    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("mnemo.job.duration", "s", "scheduled job duration");

    public static readonly Counter<long> ModelTokens = Meter.CreateCounter<long>("mnemo.model.tokens", "{token}", "language-model tokens, per provider and direction");

    /// <summary>Transcription time over audio duration: below 1 is faster than real time.</summary>
    public static readonly Histogram<double> VoiceRealTimeFactor = Meter.CreateHistogram<double>("mnemo.voice.realtime_factor", "1", "transcription time over audio duration");
}
