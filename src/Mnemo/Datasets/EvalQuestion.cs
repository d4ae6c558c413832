namespace Mnemo.Datasets;

/// <summary>A benchmark question with its gold evidence (kept out of the index).</summary>
/// <param name="Id">Question id.</param>
/// <param name="Question">The question text, used as the search query.</param>
/// <param name="Category">Category label for per-category figures.</param>
/// <param name="Evidence">Gold evidence: entry ids (LoCoMo turns) or session labels (LongMemEval).</param>
/// <param name="EvidenceIsSession">True when <paramref name="Evidence"/> names sessions rather than turns.</param>
/// <param name="At">When the question is asked, where the dataset says (LongMemEval's question date).</param>
public sealed record EvalQuestion(string Id, string Question, string Category, IReadOnlyList<string> Evidence, bool EvidenceIsSession, DateTimeOffset? At = null);
