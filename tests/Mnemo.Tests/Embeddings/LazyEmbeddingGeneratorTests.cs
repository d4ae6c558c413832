using Microsoft.Extensions.AI;
using Mnemo.Embeddings;

namespace Mnemo.Tests.Embeddings;

public sealed class LazyEmbeddingGeneratorTests
{
    [Fact]
    public async Task Metadata_IsKnownWithoutCreatingTheModel_WhichLoadsOnceOnFirstUse()
    {
        var created = 0;
        using var lazy = new LazyEmbeddingGenerator(new EmbeddingGeneratorMetadata("test", null, "m", 2), () =>
        {
            Interlocked.Increment(ref created);
            return new Constant();
        });

        Assert.Equal("m", lazy.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
        Assert.Equal(0, created);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => lazy.GenerateAsync(["a"])));
        Assert.Equal(1, created);
    }

    private sealed class Constant : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(new float[] { 1, 0 }))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
