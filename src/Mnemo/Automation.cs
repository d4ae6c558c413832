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

    private Automation(MemoryEngine engine, string? openClawStateDirectory, TimeProvider time, ILoggerFactory loggerFactory, IChatClient? chatClient, IEnumerable<IScheduledJob> extraJobs)
    {
        var options = engine.Options;
        var zone = options.Schedule.ResolveTimeZone();
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Calls = new LlmCallStore(engine.Store);
        PromptRuns = new PromptRunStore(engine.Store);
        Model = new LanguageModel(chatClient ?? ChatClientFactory.Create(options.Model), options.Model, Calls, time, loggerFactory.CreateLogger<LanguageModel>());
        Prompter = new ThreePassPrompter(Model, PromptRuns, time);
        var digestStore = new DigestStore(engine.Store);
        var signalStore = new SignalStore(engine.Store);
        Signals = new SignalService(new SignalDetector(engine.Store, options.Signals, zone), signalStore);
        Digests = new DigestService(engine, digestStore, signalStore, Prompter, options.Digests, zone, openClawStateDirectory, time, loggerFactory.CreateLogger<DigestService>());
        var channels = new List<IDeliveryChannel>();
        if (options.Delivery.OpenClaw.IsConfigured)
        {
            channels.Add(new OpenClawHookChannel(_http, options.Delivery.OpenClaw));
        }

        Delivery = new DeliveryService(channels, options.Digests, digestStore, signalStore, time, loggerFactory.CreateLogger<DeliveryService>());
        IScheduledJob[] jobs =
        [
            new HourlySummaryJob(Digests, Delivery),
            new DailySyncJob(Digests, Delivery, zone),
            new WeeklySynthesisJob(Digests, Delivery, zone),
            new SignalsJob(Signals, Delivery),
            new CompactionSweepJob(engine, openClawStateDirectory),
            .. extraJobs,
        ];
        Scheduler = new JobScheduler(jobs, options.Schedule, new JobStore(engine.Store), time, loggerFactory.CreateLogger<JobScheduler>());
    }

    public LanguageModel Model { get; }

    public ThreePassPrompter Prompter { get; }

    public LlmCallStore Calls { get; }

    public PromptRunStore PromptRuns { get; }

    public DigestService Digests { get; }

    public SignalService Signals { get; }

    public DeliveryService Delivery { get; }

    public JobScheduler Scheduler { get; }

    /// <param name="openClawStateDirectory">OpenClaw's state directory (for the sweep and the workspace notes); null when none.</param>
    /// <param name="chatClient">A chat client to use instead of the configured provider (tests, embedding hosts).</param>
    /// <param name="extraJobs">Jobs from other parts of Mnemo (voice, backup) to schedule with the built-in ones.</param>
    public static Automation Create(MemoryEngine engine, string? openClawStateDirectory, TimeProvider? time = null, ILoggerFactory? loggerFactory = null, IChatClient? chatClient = null, IEnumerable<IScheduledJob>? extraJobs = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        engine.Options.Model.Validate();
        return new Automation(engine, openClawStateDirectory, time ?? TimeProvider.System, loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, chatClient, extraJobs ?? []);
    }

    public void Dispose()
    {
        Scheduler.Dispose();
        Model.Dispose();
        _http.Dispose();
    }
}
