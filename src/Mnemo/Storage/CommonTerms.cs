namespace Mnemo.Storage;

/// <summary>
/// Which query terms full-text search scores, the same rule on every store: below
/// <see cref="PruningFrom"/> memories all of them; above it, a term held by more than 5% of the
/// memories (and over <see cref="Floor"/> of them) is dropped while rarer terms remain, and the
/// rarest terms are kept only while the rows they match together stay within twice that share.
/// Scoring costs a few microseconds a matching row, so tens of thousands of rows cost tens of
/// milliseconds; the terms left out are the most common ones asked, which separate the rows least
/// (their inverse document frequency is the lowest of the query's).
/// </summary>
public static class CommonTerms
{
    /// <summary>Below this many memories every query term is scored.</summary>
    public const long PruningFrom = 20_000;

    /// <summary>A term is common when more memories than this, and more than 5% of them, hold it.</summary>
    public const long Floor = 5_000;

    /// <summary>True when the counts are worth looking up: several terms in a large store.</summary>
    public static bool Applies(int terms, long memories) => terms >= 2 && memories >= PruningFrom;

    /// <summary>
    /// The terms to score, in the query's order: the rare ones, rarest first, while the rows they
    /// match add up to at most twice the cap; when every one is common, the rarest alone.
    /// </summary>
    public static IReadOnlyList<string> Keep(IReadOnlyList<(string Term, long Documents)> counts, long memories)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var cap = Math.Max(Floor, memories / 20);
        var kept = new HashSet<string>(StringComparer.Ordinal);
        long rows = 0;
        foreach (var (term, documents) in counts.Where(c => c.Documents <= cap).OrderBy(c => c.Documents))
        {
            if (kept.Count > 0 && rows + documents > 2 * cap)
            {
                break;
            }

            kept.Add(term);
            rows += documents;
        }

        return kept.Count > 0 ? [.. counts.Select(c => c.Term).Where(kept.Contains)] : [counts.MinBy(c => c.Documents).Term];
    }
}
