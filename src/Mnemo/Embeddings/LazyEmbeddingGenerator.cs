using Microsoft.Extensions.AI;

namespace Mnemo.Embeddings;

/// <summary>
/// Creates the real generator on first use. Its metadata (model id, dimensions) is known up front,
/// so commands that never embed (stats, opening a store) do not pay for loading a model.
/// </summary>
public sealed class LazyEmbeddingGenerator(EmbeddingGeneratorMetadata metadata, Func<IEmbeddingGenerator<string, Embedding<float>>> create)
    : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Lazy<IEmbeddingGenerator<string, Embedding<float>>> _inner = new(create, LazyThreadSafetyMode.ExecutionAndPublication);

    public EmbeddingGeneratorMetadata Metadata { get; } = metadata ?? throw new ArgumentNullException(nameof(metadata));

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        _inner.Value.GenerateAsync(values, options, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : serviceKey is null && serviceType?.IsInstanceOfType(this) == true ? this
        : _inner.IsValueCreated ? _inner.Value.GetService(serviceType!, serviceKey) : null;

    public void Dispose()
    {
        if (_inner.IsValueCreated)
        {
            _inner.Value.Dispose();
        }
    }
}
