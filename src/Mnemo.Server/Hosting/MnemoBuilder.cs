using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mnemo.Server.Hosting;

/// <summary>Chooses the store behind <see cref="MemoryEngine"/> (<c>services.AddMnemo(...).WithSqlite()</c>).</summary>
public sealed class MnemoBuilder(IServiceCollection services, MnemoOptions options)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>The embedded store: SQLite and the vector index in the data directory.</summary>
    public MnemoBuilder WithSqlite()
    {
        // Opening reads the index from disk; it happens once, when the engine is first needed
        // (at start for serve), on a thread with no synchronization context.
        // An embedder registered in the container is shared (and owned by the container); without
        // one the engine creates the configured one.
        Services.AddSingleton(provider => MemoryEngine.OpenAsync(
                options,
                provider.GetService<IEmbeddingGenerator<string, Embedding<float>>>(),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILoggerFactory>())
            .GetAwaiter().GetResult());
        return this;
    }
}
