namespace Mnemo.Indexing;

/// <summary>A vector search result: memory id and cosine similarity.</summary>
public readonly record struct VectorMatch(long Id, float Similarity);
