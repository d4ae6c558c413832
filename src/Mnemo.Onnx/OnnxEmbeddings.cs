using Microsoft.Extensions.AI;

namespace Mnemo.Embeddings;

/// <summary>The bundled models, run by ONNX Runtime: what a host hands the engine as its <see cref="LocalEmbedderFactory"/>.</summary>
public static class OnnxEmbeddings
{
    /// <summary>The model's embedder; it loads (about a second, ~90 MB) when something is first embedded, not when a store opens.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>> Create(LocalEmbeddingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new LazyEmbeddingGenerator(
            new EmbeddingGeneratorMetadata("onnxruntime", null, model.ModelId, LocalEmbeddingModel.Dimensions),
            () => new LocalEmbeddingGenerator(model));
    }
}
