namespace Mnemo.Retention;

/// <summary>One sentence of a memory and what makes it salient.</summary>
/// <param name="Text">The sentence, trimmed.</param>
/// <param name="Kind">The kinds it matched.</param>
/// <param name="Identifiers">The exact identifiers found in it, as written.</param>
public sealed record SalientSentence(string Text, SalientKind Kind, IReadOnlyList<string> Identifiers);
