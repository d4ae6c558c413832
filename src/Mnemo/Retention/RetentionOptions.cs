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

    /// <summary>Refuses values that cannot work, naming the setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        static void Check(bool ok, FormattableString message)
        {
            if (!ok)
            {
                throw new ArgumentException(message.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        Check(TokenBudget is >= 0 and <= 100_000, $"Retention:TokenBudget must be between 0 and 100000, not {TokenBudget}");
        Check(StandingShare is >= 0 and <= 1, $"Retention:StandingShare must be between 0 and 1, not {StandingShare}");
        Check(SearchDepth is >= 1 and <= 500, $"Retention:SearchDepth must be between 1 and 500, not {SearchDepth}");
        Check(MinRecallSimilarity is >= -1 and <= 1, $"Retention:MinRecallSimilarity must be between -1 and 1, not {MinRecallSimilarity}");
        Check(MinRelevance is >= -1 and <= 1, $"Retention:MinRelevance must be between -1 and 1, not {MinRelevance}");
        Check(MaxLostMemories is >= 0 and <= 100_000, $"Retention:MaxLostMemories must be between 0 and 100000, not {MaxLostMemories}");
        Check(MaxPromptChars is >= 1 and <= 100_000, $"Retention:MaxPromptChars must be between 1 and 100000, not {MaxPromptChars}");
    }
}
