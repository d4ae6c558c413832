namespace Mnemo.Signals;

/// <summary>Detector thresholds (config section <c>Signals</c>).</summary>
public sealed record SignalOptions
{
    /// <summary>How far back topics, repeated requests, questions and frustration are looked for.</summary>
    public TimeSpan Lookback { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Repeated requests are counted over this longer window.</summary>
    public TimeSpan RequestLookback { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A turn this similar to a topic's first turn belongs to the topic (on the common similarity scale, see SimilarityScale).</summary>
    public double TopicSimilarity { get; set; } = 0.6;

    /// <summary>Two user requests this similar are the same request (on the common similarity scale).</summary>
    public double RequestSimilarity { get; set; } = 0.75;

    /// <summary>How many times a request must be made to count as repeated.</summary>
    public int RepeatCount { get; set; } = 3;

    /// <summary>A question with no reply after this long is unanswered.</summary>
    public TimeSpan UnansweredAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Consecutive negative user turns that make a frustration signal.</summary>
    public int FrustrationRun { get; set; } = 3;

    /// <summary>Deadlines are signalled from this long before they are due...</summary>
    public TimeSpan DeadlineAhead { get; set; } = TimeSpan.FromDays(2);

    /// <summary>...until this long after.</summary>
    public TimeSpan DeadlineOverdue { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Days of history an agent's activity is compared with.</summary>
    public int ActivityBaselineDays { get; set; } = 14;

    /// <summary>Fewest turns per day, on average, before a drop is worth a signal.</summary>
    public int ActivityMinimumDaily { get; set; } = 5;

    /// <summary>Most memories one run reads.</summary>
    public int MaxMemories { get; set; } = 5000;
}
