using Microsoft.Extensions.AI;

namespace Mnemo.Embeddings;

/// <summary>
/// Marks texts to embed as search queries. Retrieval models embed a query differently from the
/// passages it should find (a prefix, for the local ones); symmetric models ignore the mark.
/// </summary>
public static class EmbeddingInput
{
    /// <summary>The additional property carrying the kind of input, named as the hosted embedding APIs name it.</summary>
    public const string Property = "input_type";

    /// <summary>Options that mark the texts as queries.</summary>
    public static EmbeddingGenerationOptions Query { get; } = new() { AdditionalProperties = new AdditionalPropertiesDictionary { [Property] = "query" } };

    public static bool IsQuery(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(Property, out var value) == true && value is "query";
}
