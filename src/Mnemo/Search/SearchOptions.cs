namespace Mnemo.Search;

/// <summary>How hybrid search ranks. The defaults are the ones measured best on LoCoMo (docs/benchmarks.md).</summary>
public sealed record SearchOptions
{
    /// <summary>Candidates taken from each of the vector index and BM25 before fusion.</summary>
    public int CandidatePool { get; init; } = 100;

    /// <summary>Weight of the normalized BM25 score in the fused score.</summary>
    public double TextWeight { get; init; } = 0.6;

    /// <summary>Weight of the normalized vector similarity in the fused score.</summary>
    public double VectorWeight { get; init; } = 0.4;

    /// <summary>Share of a neighbouring turn's score a turn receives: answers sit next to what they answer.</summary>
    public double NeighbourWeight { get; init; } = 0.5;

    /// <summary>How many top candidates lend their score to neighbours that were not candidates themselves.</summary>
    public int NeighbourExpansion { get; init; } = 30;

    /// <summary>
    /// Score multiplier for memories that are themselves questions: a past "what was my ticket?"
    /// looks like today's query but holds no answer; the statement that does should outrank it.
    /// </summary>
    public double QuestionWeight { get; init; } = 0.7;

    /// <summary>
    /// Bonus for memories stored within a span of time the query names ("on 3 June, 2023", "last
    /// week"): they are searched as candidates too, and rank above equally good matches from other times.
    /// </summary>
    public double TimeWeight { get; init; } = 0.3;

    /// <summary>A named span holding more memories than this says too little to act on, and is ignored.</summary>
    public int TimeWindowLimit { get; init; } = 2000;

    /// <summary>A named span holding at most this many memories has all of them scored; a larger one only lends its bonus to what was found.</summary>
    public int TimeWindowScored { get; init; } = 300;

    /// <summary>Score multiplier, for a question asking when or how long, of memories that say when ("last week", "in 2019", "for three years").</summary>
    public double WhenWeight { get; init; } = 1.4;

    /// <summary>Share by which each further hit from an already represented session is lowered (0: off).</summary>
    public double SessionSpread { get; init; }

    /// <summary>Pseudo-relevance feedback: weight of closeness to the first hits' centroid (0: off).</summary>
    public double FeedbackWeight { get; init; }

    /// <summary>How many of the first hits make the feedback centroid.</summary>
    public int FeedbackDepth { get; init; } = 3;

    /// <summary>Score multiplier for memories spoken by someone the query names ("What does Anna paint?").</summary>
    public double SpeakerWeight { get; init; } = 1.35;

    /// <summary>MMR trade-off between relevance (1) and novelty (0) when diversity is asked for.</summary>
    public double MmrLambda { get; init; } = 0.7;

    /// <summary>Largest share of the score recency may add; it breaks ties, never buries an old answer.</summary>
    public double RecencyWeight { get; init; } = 0.02;

    /// <summary>Half-life of the recency bonus.</summary>
    public TimeSpan RecencyHalfLife { get; init; } = TimeSpan.FromDays(30);
}
