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

    /// <summary>MMR trade-off between relevance (1) and novelty (0) when diversity is asked for.</summary>
    public double MmrLambda { get; init; } = 0.7;

    /// <summary>Largest share of the score recency may add; it breaks ties, never buries an old answer.</summary>
    public double RecencyWeight { get; init; } = 0.02;

    /// <summary>Half-life of the recency bonus.</summary>
    public TimeSpan RecencyHalfLife { get; init; } = TimeSpan.FromDays(30);
}
