namespace Mnemo.Retention;

/// <summary>How retained context is chosen and how much of it is given.</summary>
public sealed record RetentionOptions
{
    /// <summary>The most tokens (o200k, as GPT-4o counts) the retained context may take.</summary>
    public int TokenBudget { get; init; } = 1200;

    /// <summary>The largest share of the budget standing items (open requests, preferences, decisions, identifiers from what left the context) may take; pins come first.</summary>
    public double StandingShare { get; init; } = 0.2;

    /// <summary>How many hits of the hybrid search are offered to fill the budget.</summary>
    public int SearchDepth { get; init; } = 60;

    // Similarities below are on the common scale (MiniLM's cosine); other models' cosines are mapped onto it (SimilarityScale).

    /// <summary>When no memory shares a word with the prompt (small talk aside) nor is at least this similar to it, the prompt recalls nothing and only standing items are given.</summary>
    public double MinRecallSimilarity { get; init; } = 0.5;

    /// <summary>How many of the memories that left the context are looked at for standing items, newest first.</summary>
    public int MaxLostMemories { get; init; } = 2000;

    /// <summary>Below this cosine similarity to the prompt, a decision or identifier that left the context stays out unless the prompt names it.</summary>
    public double MinRelevance { get; init; } = 0.2;

    /// <summary>The prompt is cut to this many characters before it is embedded.</summary>
    public int MaxPromptChars { get; init; } = 2000;
}
