namespace Mnemo.Storage;

/// <summary>
/// What a store records of the model its vectors come from: <c>model|dimensions</c>. Stores made
/// with an OpenAI-compatible model before it told its name recorded <c>unknown|dimensions</c>; the
/// first model of the same size opened on such a store names it, since no other could have written it.
/// </summary>
public static class EmbeddingModelRecord
{
    /// <summary>The name recorded for an embedder that does not say which model it is.</summary>
    public const string Unnamed = "unknown";

    public static string Of(string modelId, int dimensions) => FormattableString.Invariant($"{modelId}|{dimensions}");

    /// <summary>True when <paramref name="recorded"/> is an unnamed record of the same size that <paramref name="expected"/> may take over.</summary>
    public static bool MayName(string? recorded, string expected, int dimensions) =>
        recorded == Of(Unnamed, dimensions) && expected != recorded;
}
