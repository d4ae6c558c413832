namespace Mnemo.Domain;

/// <summary>What the host adds to a compaction besides its summary.</summary>
public sealed record CompactionDetails(
    IReadOnlyList<string> ReadFiles,
    IReadOnlyList<string> ModifiedFiles,
    string? LatestUnresolvedRequest)
{
    public static CompactionDetails Empty { get; } = new([], [], null);
}
