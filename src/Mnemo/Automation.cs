using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Mnemo.Delivery;
using Mnemo.Digests;
using Mnemo.Language;
using Mnemo.Scheduling;
using Mnemo.Signals;

namespace Mnemo;

/// <summary>
/// Everything that runs on a schedule, wired once over an open <see cref="MemoryEngine"/>: the chat
/// model, three-pass prompting, digests, signals, delivery and the scheduler with its jobs.
/// <c>mnemo serve</c> runs the scheduler; <c>mnemo run</c> and <c>mnemo schedule</c> use the same object.
/// </summary>
public sealed class Automation : IDisposable
{
    private readonly HttpClient _http;
    private readonly MemoryEngine _engine;

    private Automation(MemoryEngine engine, string? openClawStateDirectory, TimeProvider time, ILoggerFactory loggerFactory, IChatClient? chatClient, IEnumerable<IScheduledJob> extraJobs, IJobCoordinator? coordinator, Backups.ISharedBackup? sharedBackup, IHttpClientFactory httpClients, Feedback.FeedbackIntake? feedback, IEnumerable<IDeliveryChannel> extraChannels)
    {
        var options = engine.Options;
        var zone = options.Schedule.ResolveTimeZone();
        _engine = engine;
        _http = httpClients.CreateClient(MnemoHttpClients.Hooks);
        Calls = new LlmCallStore(engine.Records);
        PromptRuns = new PromptRunStore(engine.Records);
        Model = new LanguageModel(chatClient, options.Model, Calls, time, loggerFactory.CreateLogger<LanguageModel>());
        Prompter = new ThreePassPrompter(Model, PromptRuns, time);
        var digestStore = new DigestStore(engine.Records);
        var signalStore = new SignalStore(engine.Records);
        Signals = new SignalService(new SignalDetector(engine.Store, options.Signals, zone, engine.Similarity), signalStore);
        Digests = new DigestService(engine, digestStore, signalStore, Prompter, options.Digests, zone, openClawStateDirectory, time, loggerFactory.CreateLogger<DigestService>());
        var channels = new List<IDeliveryChannel>();
        if (options.Delivery.OpenClaw.IsConfigured)
        {
            channels.Add(new OpenClawHookChannel(_http, options.Delivery.OpenClaw));
        }

        Backups = new Backups.BackupService(options.DataDirectory, options.Backup, time, loggerFactory.CreateLogger<Backups.BackupService>(), sharedBackup);
        Feedback = feedback ?? CreateFeedbackIntake(engine, time, loggerFactory);

        // Channels from their own assemblies (Telegram's, through the host's builder) after the built-in one.
        channels.AddRange(extraChannels);
        Delivery = new DeliveryService(channels, options.Digests, digestStore, signalStore, engine.ContextNotices, time, loggerFactory.CreateLogger<DeliveryService>());
        IScheduledJob[] jobs =
        [
            new HourlySummaryJob(Digests, Delivery),
            new DailySyncJob(Digests, Delivery, zone),
            new WeeklySynthesisJob(Digests, Delivery, zone),
            new SignalsJob(Signals, Delivery),
            new CompactionSweepJob(engine, openClawStateDirectory, Delivery),
            new RetentionJob(engine, digestStore),
            new BackupJob(Backups),
            .. extraJobs,
        ];
        Scheduler = new JobScheduler(jobs, options.Schedule, new JobStore(engine.Records), time, loggerFactory.CreateLogger<JobScheduler>(), coordinator);
    }

    public LanguageModel Model { get; }

    public ThreePassPrompter Prompter { get; }

    public LlmCallStore Calls { get; }

    public PromptRunStore PromptRuns { get; }

    public DigestService Digests { get; }

    public SignalService Signals { get; }

    public DeliveryService Delivery { get; }

    /// <summary>Backups of the store and config: made, verified, listed, restored, pruned.</summary>
    public Backups.BackupService Backups { get; }

    /// <summary>Turns 👍/👎 taps into votes (Mnemo's bot and the OpenClaw bridge share it, and its replay memory).</summary>
    public Feedback.FeedbackIntake Feedback { get; }

    public JobScheduler Scheduler { get; }

    /// <param name="openClawStateDirectory">OpenClaw's state directory (for the sweep and the workspace notes); null when none.</param>
    /// <param name="chatClient">The configured provider's chat client (the host's builder makes it from <c>Model</c>; Mnemo.Models' <c>ChatClientFactory</c>); required when a model is configured.</param>
    /// <param name="extraJobs">Jobs from other parts of Mnemo (voice, backup) to schedule with the built-in ones.</param>
    /// <param name="coordinator">With a store shared by several nodes: which node runs each scheduled occurrence.</param>
    /// <param name="sharedBackup">With a shared store: how backups take its snapshot (the data directory does not hold it).</param>
    /// <param name="httpClients">The host's client factory (<see cref="MnemoHttpClients"/>); null takes <see cref="MnemoHttpClients.Standalone"/>.</param>
    /// <param name="feedback">The host's feedback intake (<see cref="CreateFeedbackIntake"/>), shared with the channels that draw rating buttons; null makes one.</param>
    /// <param name="channels">Delivery channels from other assemblies (Telegram's), besides the OpenClaw hook this one makes when configured.</param>
    public static Automation Create(MemoryEngine engine, string? openClawStateDirectory, TimeProvider? time = null, ILoggerFactory? loggerFactory = null, IChatClient? chatClient = null, IEnumerable<IScheduledJob>? extraJobs = null, IJobCoordinator? coordinator = null, Backups.ISharedBackup? sharedBackup = null, IHttpClientFactory? httpClients = null, Feedback.FeedbackIntake? feedback = null, IEnumerable<IDeliveryChannel>? channels = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        engine.Options.Model.Validate();
        if (engine.Options.Model.IsConfigured && chatClient is null)
        {
            throw new ArgumentException($"Model:Provider is {engine.Options.Model.Provider} but no chat client was given; the host's builder (WithAutomation) makes it from the Model settings", nameof(chatClient));
        }

        return new Automation(engine, openClawStateDirectory, time ?? TimeProvider.System, loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, chatClient, extraJobs ?? [], coordinator, sharedBackup, httpClients ?? MnemoHttpClients.Standalone, feedback, channels ?? []);
    }

    /// <summary>
    /// Turns 👍/👎 taps into votes for the engine's feedback store; votes count from the Telegram
    /// delivery chat (when one is configured) and the chats <c>Feedback:AllowedChats</c> names.
    /// </summary>
    public static Feedback.FeedbackIntake CreateFeedbackIntake(MemoryEngine engine, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var telegram = engine.Options.Delivery.Telegram;
        return new Feedback.FeedbackIntake(engine.Feedback, engine.Options.Feedback, telegram.IsConfigured ? telegram.ChatId : null, time, loggerFactory.CreateLogger<Feedback.FeedbackIntake>());
    }

    /// <summary>
    /// Three-pass prompting over memories the caller names, or the best matches of a query: what
    /// the HTTP endpoint and the MCP tool offer the agent.
    /// </summary>
    /// <exception cref="ArgumentException">No task, or neither memories nor a query.</exception>
    /// <exception cref="LanguageModelException">No model is configured, or it failed.</exception>
    public async Task<ThreePassRun> RunThreePassAsync(string purpose, string task, string? query, IReadOnlyCollection<long>? memoryIds, string? agent, int k, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(task))
        {
            throw new ArgumentException("task is required: what the model should write");
        }

        if (!Model.IsConfigured)
        {
            throw new LanguageModelException("no language model is configured; set Model:Provider, Model:Model and Model:Endpoint in config.json");
        }

        IReadOnlyList<Domain.Memory> memories;
        if (memoryIds is { Count: > 0 })
        {
            memories = await _engine.GetMemoriesAsync(memoryIds, cancellationToken).ConfigureAwait(false);
        }
        else if (!string.IsNullOrWhiteSpace(query))
        {
            var hits = await _engine.SearchAsync(new Search.SearchRequest(query, k, new Storage.MemoryFilter(agent)), cancellationToken).ConfigureAwait(false);
            memories = [.. hits.Select(h => h.Memory)];
        }
        else
        {
            throw new ArgumentException("give memoryIds or a query to find the memories to write from");
        }

        var sources = memories
            .Select(m => new PromptSource(m.Id, $"{m.Role} in {m.Agent}, {Retention.RecallText.When(m.Timestamp)}{(m.Untrusted ? ", external content" : string.Empty)}", m.Text))
            .ToList();
        return await Prompter.RunAsync(new ThreePassRequest(purpose, task, sources), cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        Scheduler.Dispose();
        Model.Dispose();
        _http.Dispose();
    }
}
