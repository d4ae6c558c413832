using Mnemo.Embeddings;
using Mnemo.Indexing;

namespace Mnemo.Bench;

/// <summary>Every heavy part the product ships (the bundled models' runtime, the HNSW index), plugged in as serve plugs them.</summary>
internal static class BenchPlugins
{
    public static EnginePlugins All { get; } = new(OnnxEmbeddings.Create, USearchIndexes.Instance);
}
