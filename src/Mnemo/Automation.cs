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
    private readonly HttpClient? _telegramHttp;
    private readonly MemoryEngine _engine;

    private Automation(MemoryEngine engine, string? openClawStateDirectory, TimeProvider time, ILoggerFactory loggerFactory, IChatClient? chatClient, IEnumerable<IScheduledJob> extraJobs, IJobCoordinator? coordinator, Backups.ISharedBackup? sharedBackup, IHttpClientFactory httpClients)
    {
        var options = engine.Options;
        var zone = options.Schedule.ResolveTimeZone();
        _engine = engine;
        _http = httpClients.CreateClient(MnemoHttpClients.Hooks);
        Calls = new LlmCallStore(engine.Records);
        PromptRuns = new PromptRunStore(engine.Records);
        Model = new LanguageModel(chatClient ?? ChatClientFactory.Create(options.Model), options.Model, Calls, time, loggerFactory.CreateLogger<LanguageModel>());
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
        var telegram = options.Delivery.Telegram;
        Feedback = new Feedback.FeedbackIntake(engine.Feedback, options.Feedback, telegram.IsConfigured ? telegram.ChatId : null, time, loggerFactory.CreateLogger<Feedback.FeedbackIntake>());
        if (telegram.IsConfigured)
        {
            // One client for sending and for the long poll: its HTTP timeout outlasts a poll
            // (TelegramFeedbackBot.PollSeconds); sends set a shorter one of their own.
            _telegramHttp = httpClients.CreateClient(MnemoHttpClients.Telegram);
            var bot = new Telegram.Bot.TelegramBotClient(new Telegram.Bot.TelegramBotClientOptions(telegram.BotToken!, string.IsNullOrWhiteSpace(telegram.ApiBaseUrl) ? null : telegram.ApiBaseUrl.TrimEnd('/')), _telegramHttp);
            channels.Add(new TelegramChannel(bot, telegram, options.Feedback.Key.Length > 0 ? Feedback : null));
            FeedbackBot = new TelegramFeedbackBot(bot, telegram, Feedback, loggerFactory.CreateLogger<TelegramFeedbackBot>());
        }

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

    /// <summary>Mnemo's own Telegram bot, when <c>Delivery:Telegram</c> is configured.</summary>
    public TelegramFeedbackBot? FeedbackBot { get; }

    public JobScheduler Scheduler { get; }

    /// <param name="openClawStateDirectory">OpenClaw's state directory (for the sweep and the workspace notes); null when none.</param>
    /// <param name="chatClient">A chat client to use instead of the configured provider (tests, embedding hosts).</param>
    /// <param name="extraJobs">Jobs from other parts of Mnemo (voice, backup) to schedule with the built-in ones.</param>
    /// <param name="coordinator">With a store shared by several nodes: which node runs each scheduled occurrence.</param>
    /// <param name="sharedBackup">With a shared store: how backups take its snapshot (the data directory does not hold it).</param>
    /// <param name="httpClients">The host's client factory (<see cref="MnemoHttpClients"/>); null takes <see cref="MnemoHttpClients.Standalone"/>.</param>
    public static Automation Create(MemoryEngine engine, string? openClawStateDirectory, TimeProvider? time = null, ILoggerFactory? loggerFactory = null, IChatClient? chatClient = null, IEnumerable<IScheduledJob>? extraJobs = null, IJobCoordinator? coordinator = null, Backups.ISharedBackup? sharedBackup = null, IHttpClientFactory? httpClients = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        engine.Options.Model.Validate();
        return new Automation(engine, openClawStateDirectory, time ?? TimeProvider.System, loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, chatClient, extraJobs ?? [], coordinator, sharedBackup, httpClients ?? MnemoHttpClients.Standalone);
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
        _telegramHttp?.Dispose();
    }
}
