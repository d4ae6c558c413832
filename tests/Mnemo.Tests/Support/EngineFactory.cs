using Mnemo.Embeddings;
using Mnemo.Indexing;

namespace Mnemo.Tests.Support;

public static class EngineFactory
{
    /// <summary>Every heavy part the product ships, as serve plugs them in.</summary>
    public static EnginePlugins Plugins { get; } = new(OnnxEmbeddings.Create, USearchIndexes.Instance);

    public static Task<MemoryEngine> OpenAsync(string directory, EmbedderFixture embedder, Func<MnemoOptions, MnemoOptions>? configure = null)
    {
        var options = new MnemoOptions { DataDirectory = directory };
        return MemoryEngine.OpenAsync(configure?.Invoke(options) ?? options, embedder.Embedder, plugins: Plugins);
    }
}
