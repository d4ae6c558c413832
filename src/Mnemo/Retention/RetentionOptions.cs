namespace Mnemo.Retention;

/// <summary>How retained context is chosen and how much of it is given.</summary>
public sealed record RetentionOptions
{
    /// <summary>The most tokens (o200k, as GPT-4o counts) the retained context may take.</summary>
    public int TokenBudget { get; init; } = 1200;

    // Similarities below are on the common scale (MiniLM's cosine); other models' cosines are mapped onto it (SimilarityScale).

    /// <summary>How many of the memories that left the context are looked at, newest first.</summary>
    public int MaxDroppedMemories { get; init; } = 2000;

    /// <summary>Below this cosine similarity to the prompt, an identifier or decision is left out unless the prompt names it.</summary>
    public double MinRelevance { get; init; } = 0.2;

    /// <summary>A memory from an earlier session is brought back only when at least this similar to the prompt.</summary>
    public double MinEarlierSimilarity { get; init; } = 0.45;

    /// <summary>A memory that left the context with no salient pattern is brought back when at least this similar.</summary>
    public double MinRelevantSimilarity { get; init; } = 0.5;

    /// <summary>How many memories from earlier sessions are considered.</summary>
    public int EarlierCandidates { get; init; } = 12;

    /// <summary>At most this many earlier-session memories are given.</summary>
    public int MaxEarlierItems { get; init; } = 4;

    /// <summary>The prompt is cut to this many characters before it is embedded.</summary>
    public int MaxPromptChars { get; init; } = 2000;
}
