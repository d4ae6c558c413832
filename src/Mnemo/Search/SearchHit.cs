using Mnemo.Domain;

namespace Mnemo.Search;

/// <summary>One search result.</summary>
public sealed record SearchHit(Memory Memory, double Score, ScoreExplanation Scores, string Snippet);
