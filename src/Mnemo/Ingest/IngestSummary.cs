using Mnemo.Domain;

namespace Mnemo.Ingest;

/// <summary>What an ingest did, over all its sources.</summary>
public sealed record IngestSummary
{
    public int Sources { get; init; }

    public long TurnsRead { get; init; }

    public long Added { get; init; }

    public long Updated { get; init; }

    public long Unchanged { get; init; }

    public long Embedded { get; init; }

    public long Skipped { get; init; }

    /// <summary>The first problems met (all are counted in <see cref="Skipped"/>).</summary>
    public IReadOnlyList<ReadIssue> Issues { get; init; } = [];

    public TimeSpan Elapsed { get; init; }

    /// <summary>Compactions recorded for the first time.</summary>
    public IReadOnlyList<Compaction> NewCompactions { get; init; } = [];

    public IngestSummary Add(IngestSummary other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new IngestSummary
        {
            Sources = Sources + other.Sources,
            TurnsRead = TurnsRead + other.TurnsRead,
            Added = Added + other.Added,
            Updated = Updated + other.Updated,
            Unchanged = Unchanged + other.Unchanged,
            Embedded = Embedded + other.Embedded,
            Skipped = Skipped + other.Skipped,
            Issues = [.. Issues, .. other.Issues.Take(Math.Max(0, IngestPipeline.MaxReportedIssues - Issues.Count))],
            Elapsed = Elapsed + other.Elapsed,
            NewCompactions = [.. NewCompactions, .. other.NewCompactions],
        };
    }
}
