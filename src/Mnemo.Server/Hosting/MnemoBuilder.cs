using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mnemo.Server.Hosting;

/// <summary>Chooses the store behind <see cref="MemoryEngine"/> (<c>services.AddMnemo(...).WithConfiguredStore()</c>).</summary>
public sealed class MnemoBuilder(IServiceCollection services, MnemoOptions options)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>
    /// The store the options name: embedded SQLite in the data directory, or a PostgreSQL database
    /// shared with other nodes (then this node also follows the others' changes, takes its share of
    /// queued work, and claims scheduled occurrences before running them).
    /// </summary>
    public MnemoBuilder WithConfiguredStore()
    {
        // Opening reads the index from disk; it happens once, when the engine is first needed
        // (at start for serve), on a thread with no synchronization context.
        // An embedder registered in the container is shared (and owned by the container); without
        // one the engine creates the configured one.
        // An OpenAI-compatible endpoint's client comes from the host's factory.
        Services.AddMnemoHttpClients();
        Services.AddSingleton(provider => Mnemo.Postgres.MemoryEngines.OpenAsync(
                options,
                provider.GetService<IEmbeddingGenerator<string, Embedding<float>>>()
                    ?? (options.Embeddings.Provider == "openai" ? MemoryEngine.CreateEmbedder(options.Embeddings, provider.GetRequiredService<IHttpClientFactory>()) : null),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILoggerFactory>())
            .GetAwaiter().GetResult());
        if (options.Store.IsShared)
        {
            var node = options.Store.NodeName;
            Services.AddSingleton(provider => (Mnemo.Postgres.PostgresMemoryStore)provider.GetRequiredService<MemoryEngine>().Store);
            Services.AddSingleton<Mnemo.Scheduling.IJobCoordinator>(provider => new Mnemo.Postgres.PostgresJobCoordinator(provider.GetRequiredService<Mnemo.Postgres.PostgresMemoryStore>(), node, provider.GetRequiredService<TimeProvider>()));
            var connection = options.Store.Connection!;
            Services.AddSingleton<Mnemo.Backups.ISharedBackup>(_ => new Mnemo.Postgres.PostgresBackup(connection));
            Services.AddSingleton(provider => new Mnemo.Postgres.SharedWork(provider.GetRequiredService<Mnemo.Postgres.PostgresMemoryStore>(), node));
            Services.AddSingleton(provider => new Mnemo.Postgres.SharedWorkWorker(
                provider.GetRequiredService<Mnemo.Postgres.SharedWork>(),
                provider.GetRequiredService<MemoryEngine>(),
                provider.GetRequiredService<ILogger<Mnemo.Postgres.SharedWorkWorker>>())
            {
                Lease = options.Store.WorkLease,
            });
            Services.AddSingleton(provider =>
            {
                var engine = provider.GetRequiredService<MemoryEngine>();
                return new Mnemo.Postgres.PostgresChangeFeed(provider.GetRequiredService<Mnemo.Postgres.PostgresMemoryStore>(), engine.CatchUpAsync, provider.GetRequiredService<ILogger<Mnemo.Postgres.PostgresChangeFeed>>());
            });
        }

        return this;
    }
}
