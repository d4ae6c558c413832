namespace Mnemo.Cli;

/// <summary>What <c>mnemo ingest --json</c> prints.</summary>
internal sealed record IngestJson(int Sources, long TurnsRead, long Added, long Updated, long Unchanged, long Embedded, long Skipped, double Seconds, IReadOnlyList<IssueJson> Issues);
