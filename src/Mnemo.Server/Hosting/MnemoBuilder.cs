using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Mnemo.Delivery;
using Mnemo.Feedback;
using Mnemo.Voice.Queue;
using Telegram.Bot;

namespace Mnemo.Server.Hosting;

/// <summary>
/// Composes Mnemo in a container: <c>services.AddMnemo(settings).WithConfiguredStore().WithConfiguredEmbeddings().WithWhisper().WithTelegram().WithAutomation()</c>.
/// <c>mnemo serve</c>, <c>mnemo mcp</c> and the one-shot commands build the same parts this way,
/// from the same settings (<see cref="MnemoSettings.Load"/>).
/// </summary>
public sealed class MnemoBuilder(IServiceCollection services, MnemoOptions options, MnemoSettings? settings = null)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>The store the options name: <see cref="WithSqlite"/> or <see cref="WithPostgres"/>.</summary>
    public MnemoBuilder WithConfiguredStore() => options.Store.IsShared ? WithPostgres() : WithSqlite();

    /// <summary>Memories in the data directory's SQLite database (the embedded default).</summary>
    public MnemoBuilder WithSqlite()
    {
        AddEngine();
        return this;
    }

    /// <summary>
    /// Memories in a PostgreSQL database shared with other nodes (<c>Store:Connection</c>): this node
    /// also follows the others' changes, takes its share of queued work, and claims scheduled
    /// occurrences before running them.
    /// </summary>
    public MnemoBuilder WithPostgres()
    {
        options.Store.Validate();
        if (!options.Store.IsShared)
        {
            throw new ArgumentException("Store:Provider postgres and Store:Connection are needed for a shared store");
        }

        AddEngine();
        Services.AddSingleton<Mnemo.Storage.IStoreErrorClassifier, Mnemo.Postgres.PostgresStoreErrors>();
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
        return this;
    }

    /// <summary>The embeddings the settings name: an OpenAI-compatible endpoint, or a bundled model.</summary>
    public MnemoBuilder WithConfiguredEmbeddings() =>
        options.Embeddings.Provider == "openai" ? WithOpenAiEmbeddings() : WithOnnxEmbeddings();

    /// <summary>
    /// The bundled models, run by ONNX Runtime (Mnemo.Onnx): the engine picks the one the store's
    /// vectors came from (or the settings name) and loads it when something is first embedded.
    /// </summary>
    public MnemoBuilder WithOnnxEmbeddings()
    {
        Services.TryAddSingleton<Mnemo.Embeddings.LocalEmbedderFactory>(Mnemo.Embeddings.OnnxEmbeddings.Create);
        return this;
    }

    /// <summary>Embeddings from an OpenAI-compatible endpoint (<c>Embeddings:BaseUrl</c>, <c>Model</c>, <c>ApiKey</c>), its client from the host's factory.</summary>
    public MnemoBuilder WithOpenAiEmbeddings()
    {
        Services.TryAddSingleton(provider => MemoryEngine.CreateEmbedder(options.Embeddings with { Provider = "openai" }, provider.GetRequiredService<IHttpClientFactory>()));
        return this;
    }

    /// <summary>
    /// Voice notes: the transcription queue in the records database, its workers (Whisper, loaded
    /// while jobs run) and the intake that finds new notes; their sweep joins the scheduled jobs.
    /// </summary>
    public MnemoBuilder WithWhisper()
    {
        var voice = RequireSettings(nameof(WithWhisper));
        Services.AddSingleton(provider => VoiceJobStore.For(provider.GetRequiredService<MemoryEngine>(), provider.GetRequiredService<TimeProvider>()));
        Services.AddSingleton(provider => new VoiceWorkers(
            provider.GetRequiredService<MemoryEngine>(),
            provider.GetRequiredService<VoiceJobStore>(),
            voice.Voice,
            voice.Memory.DataDirectory,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<VoiceWorkers>>(),
            provider.GetService<Func<Mnemo.Voice.Transcription.ITranscriber>>()));
        Services.AddSingleton(provider => new VoiceIntake(
            provider.GetRequiredService<VoiceWorkers>(),
            voice.Voice,
            voice.Memory.DataDirectory,
            voice.OpenClaw.ResolveStateDirectory(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<VoiceIntake>>()));
        return this;
    }

    /// <summary>
    /// What runs on a schedule (<see cref="Automation"/>): the chat model, digests, signals,
    /// delivery, backups, and the scheduler with its jobs (the voice sweep when <see cref="WithWhisper"/> is there).
    /// </summary>
    public MnemoBuilder WithAutomation()
    {
        var openClaw = RequireSettings(nameof(WithAutomation)).OpenClaw;

        // The configured chat model (Mnemo.Models); a client the host registered first is kept.
        if (options.Model.IsConfigured)
        {
            Services.TryAddSingleton(_ => Mnemo.Language.ChatClientFactory.Create(options.Model)!);
        }

        Services.AddSingleton(provider => Automation.Create(
            provider.GetRequiredService<MemoryEngine>(),
            openClaw.ResolveStateDirectory(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILoggerFactory>(),
            provider.GetService<IChatClient>(),
            provider.GetService<VoiceIntake>() is { } intake ? [new VoiceSweepJob(intake)] : [],
            provider.GetService<Mnemo.Scheduling.IJobCoordinator>(),
            provider.GetService<Mnemo.Backups.ISharedBackup>(),
            provider.GetRequiredService<IHttpClientFactory>(),
            provider.GetRequiredService<FeedbackIntake>(),
            provider.GetServices<IDeliveryChannel>()));
        AddFeedbackIntake();
        return this;
    }

    /// <summary>
    /// Telegram, when <c>Delivery:Telegram</c> is configured: digests, signals and notices sent with
    /// 👍/👎 buttons (a delivery channel <see cref="WithAutomation"/> takes), and Mnemo's own bot that
    /// hears the taps (run by <c>mnemo serve</c>). One Bot API client serves both.
    /// </summary>
    public MnemoBuilder WithTelegram()
    {
        var telegram = options.Delivery.Telegram;
        if (!telegram.IsConfigured)
        {
            return this;
        }

        AddFeedbackIntake();

        // One client for sending and for the long poll: its HTTP timeout outlasts a poll
        // (TelegramFeedbackBot.PollSeconds); sends set a shorter one of their own.
        Services.AddSingleton(provider => TelegramBotClients.Create(telegram, provider.GetRequiredService<IHttpClientFactory>().CreateClient(MnemoHttpClients.Telegram)));
        var signed = options.Feedback.Key.Length > 0;
        Services.AddSingleton<IDeliveryChannel>(provider => new TelegramChannel(
            provider.GetRequiredService<ITelegramBotClient>(), telegram, signed ? provider.GetRequiredService<FeedbackIntake>() : null));
        Services.AddSingleton(provider => new TelegramFeedbackBot(
            provider.GetRequiredService<ITelegramBotClient>(), telegram, provider.GetRequiredService<FeedbackIntake>(), provider.GetRequiredService<ILogger<TelegramFeedbackBot>>()));
        return this;
    }

    /// <summary>The one intake of 👍/👎 taps: Automation, the Telegram bot and the bridge's feedback route share it.</summary>
    private void AddFeedbackIntake() =>
        Services.TryAddSingleton(provider => Automation.CreateFeedbackIntake(
            provider.GetRequiredService<MemoryEngine>(), provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILoggerFactory>()));

    private MnemoSettings RequireSettings(string step) =>
        settings ?? throw new InvalidOperationException($"{step} needs the whole settings: call services.AddMnemo(MnemoSettings)");

    private void AddEngine()
    {
        // Opening reads the index from disk; it happens once, when the engine is first needed
        // (at start for serve), on a thread with no synchronization context.
        // An embedder registered in the container is shared (and owned by the container); without
        // one the engine runs the bundled model the store or the settings name, through the
        // factory WithOnnxEmbeddings() registers.
        Services.AddSingleton(provider => Mnemo.Postgres.MemoryEngines.OpenAsync(
                options,
                provider.GetService<IEmbeddingGenerator<string, Embedding<float>>>(),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILoggerFactory>(),
                plugins: new EnginePlugins(provider.GetService<Mnemo.Embeddings.LocalEmbedderFactory>(), provider.GetService<Mnemo.Indexing.IApproximateIndexFactory>()))
            .GetAwaiter().GetResult());

        // Large stores search an HNSW graph (USearch, native); a host may register another first.
        Services.TryAddSingleton<Mnemo.Indexing.IApproximateIndexFactory>(Mnemo.Indexing.USearchIndexes.Instance);

        // The data directory's SQLite database is always there (with a shared store it holds this
        // node's own state): its failures are recognized whatever the store.
        Services.AddSingleton<Mnemo.Storage.IStoreErrorClassifier, Mnemo.Storage.SqliteStoreErrors>();

        // The records beside the memories (the same database): one store object each, for the
        // dashboard, the API and the commands to take instead of making their own.
        Services.AddSingleton(provider => provider.GetRequiredService<MemoryEngine>().Records);
        Services.AddSingleton(provider => new Mnemo.Digests.DigestStore(provider.GetRequiredService<Mnemo.Storage.IRecordDatabase>()));
        Services.AddSingleton(provider => new Mnemo.Signals.SignalStore(provider.GetRequiredService<Mnemo.Storage.IRecordDatabase>()));
    }
}
