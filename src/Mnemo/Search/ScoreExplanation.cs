namespace Mnemo.Search;

/// <summary>Why a hit ranks where it does: each signal before and after fusion.</summary>
/// <param name="Vector">Cosine similarity to the query, when the hit was a vector candidate or a scored neighbour.</param>
/// <param name="Text">BM25 score, when the hit matched the query's words.</param>
/// <param name="Neighbour">What the hit received from a neighbouring turn's score.</param>
/// <param name="Weight">Multiplier applied after fusion: below 1 when the memory is itself a question, above 1 when it is spoken by someone the query names or says when for a when-question.</param>
/// <param name="Recency">The recency bonus.</param>
/// <param name="Fused">The final score the hits are ordered by.</param>
/// <param name="Time">The bonus for lying in a span of time the query names ("in June 2023", "last week").</param>
public sealed record ScoreExplanation(double? Vector, double? Text, double Neighbour, double Weight, double Recency, double Fused, double Time = 0);
