using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Mnemo.Storage;

namespace Mnemo.Postgres;

/// <summary>Opens the memory on the store the options name: the embedded SQLite one, or PostgreSQL.</summary>
public static class MemoryEngines
{
    public static async Task<MemoryEngine> OpenAsync(
        MnemoOptions options,
        IEmbeddingGenerator<string, Embedding<float>>? embedder = null,
        TimeProvider? time = null,
        ILoggerFactory? loggerFactory = null,
        EnginePlugins? plugins = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Store.Validate();
        IMemoryStore? shared = null;
        if (options.Store.IsShared)
        {
            shared = await PostgresMemoryStore.OpenAsync(options.Store.Connection!, time ?? TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        return await MemoryEngine.OpenAsync(options, embedder, time, loggerFactory, shared, plugins, cancellationToken).ConfigureAwait(false);
    }
}
