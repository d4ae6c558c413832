namespace Mnemo.Storage;

/// <summary>
/// Which query terms full-text search scores, the same rule on every store: below
/// <see cref="PruningFrom"/> memories all of them; above it, a term held by more than 5% of the
/// memories (and over <see cref="Floor"/> of them) is dropped while rarer terms remain. Scoring
/// tens of thousands of rows costs tens of milliseconds, and such a term barely separates them.
/// </summary>
internal static class CommonTerms
{
    /// <summary>Below this many memories every query term is scored.</summary>
    public const long PruningFrom = 20_000;

    /// <summary>A term is common when more memories than this, and more than 5% of them, hold it.</summary>
    public const long Floor = 5_000;

    /// <summary>True when the counts are worth looking up: several terms in a large store.</summary>
    public static bool Applies(int terms, long memories) => terms >= 2 && memories >= PruningFrom;

    /// <summary>The terms to score; when every one is common, the rarest alone.</summary>
    public static IReadOnlyList<string> Keep(IReadOnlyList<(string Term, long Documents)> counts, long memories)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var cap = Math.Max(Floor, memories / 20);
        var rare = counts.Where(c => c.Documents <= cap).Select(c => c.Term).ToList();
        return rare.Count > 0 ? rare : [counts.MinBy(c => c.Documents).Term];
    }
}
