using Mnemo.Domain;

namespace Mnemo.Datasets;

/// <summary>One haystack to index in a fresh store, and the questions asked of it.</summary>
public sealed record EvalConversation(string Id, IReadOnlyList<Turn> Turns, IReadOnlyList<EvalQuestion> Questions);
