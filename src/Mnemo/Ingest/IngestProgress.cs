namespace Mnemo.Ingest;

/// <summary>Reported as an ingest goes, for progress bars.</summary>
public sealed record IngestProgress(string Source, long TurnsRead, long Added);
