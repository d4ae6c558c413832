namespace Mnemo;

/// <summary>What to forget: ids, or filters (all must hold), or a search query within the filters.</summary>
public sealed record ForgetSelection(
    IReadOnlyCollection<long>? Ids = null,
    string? Agent = null,
    string? Session = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    string? Query = null,
    int Limit = 100)
{
    /// <summary>The most one forget removes; more takes several (each previewed).</summary>
    public const int MaxLimit = 10_000;
}
