using Mnemo.Embeddings;

namespace Mnemo.Tests.Support;

/// <summary>One MiniLM model for every test that embeds (it is thread-safe and costly to load).</summary>
public sealed class EmbedderFixture : IDisposable
{
    public LocalEmbeddingGenerator Embedder { get; } = new();

    public void Dispose() => Embedder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class EmbedderGroup : ICollectionFixture<EmbedderFixture>
{
    public const string Name = "embedder";
}
