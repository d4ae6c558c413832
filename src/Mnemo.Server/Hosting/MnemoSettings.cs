using Microsoft.Extensions.Configuration;
using Mnemo.Delivery;
using Mnemo.Digests;
using Mnemo.Language;
using Mnemo.Retention;
using Mnemo.Scheduling;
using Mnemo.Signals;

namespace Mnemo.Server.Hosting;

/// <summary>
/// Everything <c>serve</c> and <c>mcp</c> run with, read from (lowest to highest) the defaults,
/// <c>config.json</c> in the data directory, <c>MNEMO_*</c> environment variables
/// (<c>MNEMO_Server__Urls</c>, ...) and the command line; validated before anything starts.
/// </summary>
public sealed record MnemoSettings(MnemoOptions Memory, ServerOptions Server, OpenClawOptions OpenClaw, Mnemo.Voice.VoiceOptions Voice)
{
    /// <summary>Logging of serve and mcp (config section <c>Log</c>).</summary>
    public LogOptions Log { get; init; } = new();

    public TelemetryOptions Telemetry { get; init; } = new();

    /// <summary>Reads the settings; creates the config file with a fresh token when it has none.</summary>
    /// <param name="overrides">Command-line values, keyed like the config (<c>Server:Urls</c>).</param>
    public static MnemoSettings Load(string dataDirectory, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        DataDirectory.Ensure(dataDirectory);
        var configPath = ConfigFile.EnsureToken(dataDirectory);
        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonFile(configPath, optional: false, reloadOnChange: false)
                .AddEnvironmentVariables("MNEMO_")
                .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>())
                .Build();
        }
        catch (InvalidDataException ex)
        {
            throw new ArgumentException($"{configPath} is not valid JSON: {ex.InnerException?.Message ?? ex.Message}", ex);
        }

        var server = Bind<ServerOptions>(configuration, "Server");
        server.Token = configuration["Auth:Token"] ?? string.Empty;
        var openClaw = Bind<OpenClawOptions>(configuration, "OpenClaw");
        var retention = Bind<RetentionOptions>(configuration, "Retention");
        var memory = new MnemoOptions
        {
            DataDirectory = dataDirectory,
            Embeddings = EmbeddingOptions.FromEnvironment(),
            Store = Bind<StoreOptions>(configuration, "Store"),
            Search = Bind<Mnemo.Search.SearchOptions>(configuration, "Search"),
            Index = Bind<Mnemo.Indexing.VectorIndexOptions>(configuration, "Index"),
            Chunking = Bind<Mnemo.Ingest.ChunkingOptions>(configuration, "Chunking"),
            Retention = retention,
            Schedule = Bind<ScheduleOptions>(configuration, "Schedule"),
            Model = Bind<LanguageModelOptions>(configuration, "Model"),
            Digests = Bind<DigestOptions>(configuration, "Digests"),
            Signals = Bind<SignalOptions>(configuration, "Signals"),
            Delivery = Bind<DeliveryOptions>(configuration, "Delivery"),
            Backup = Bind<Mnemo.Backups.BackupOptions>(configuration, "Backup"),
            Health = Bind<Mnemo.Health.HealthOptions>(configuration, "Health"),
            Redaction = Bind<Mnemo.Text.RedactionOptions>(configuration, "Redaction"),
            Keep = Bind<KeepOptions>(configuration, "Keep"),
            Feedback = Bind<Mnemo.Feedback.FeedbackOptions>(configuration, "Feedback") with { Key = configuration["Auth:FeedbackKey"] ?? string.Empty },
        };
        var settings = new MnemoSettings(memory, server, openClaw, Bind<Mnemo.Voice.VoiceOptions>(configuration, "Voice")) { Log = Bind<LogOptions>(configuration, "Log"), Telemetry = Bind<TelemetryOptions>(configuration, "Telemetry") };
        settings.Validate(configPath);
        return settings;
    }

    /// <summary>
    /// Only the store settings (config.json's <c>Store</c> section and <c>MNEMO_Store__*</c>), for
    /// commands that open the memory without the rest of the configuration. Creates nothing.
    /// </summary>
    public static StoreOptions LoadStore(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, ConfigFile.FileName);
        var builder = new ConfigurationBuilder();
        if (File.Exists(path))
        {
            builder.AddJsonFile(path, optional: true, reloadOnChange: false);
        }

        IConfiguration configuration;
        try
        {
            configuration = builder.AddEnvironmentVariables("MNEMO_").Build();
        }
        catch (InvalidDataException ex)
        {
            throw new ArgumentException($"{path} is not valid JSON: {ex.InnerException?.Message ?? ex.Message}", ex);
        }

        var store = Bind<StoreOptions>(configuration, "Store");
        store.Validate();
        return store;
    }

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new()
    {
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException($"setting {section}: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
    }

    private void Validate(string configPath)
    {
        MnemoOptionsValidator.Validate(Memory);
        Memory.Store.Validate();
        foreach (var url in Server.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"Server:Urls: '{url}' is not an http(s) URL (example: {ServerOptions.DefaultUrls})");
            }
        }

        if (Server.MaxRequestBytes is < 1024 or > 256L * 1024 * 1024)
        {
            throw new ArgumentException($"Server:MaxRequestBytes must be between 1024 and 268435456, not {Server.MaxRequestBytes}");
        }

        if (Server.Token.Length < 16)
        {
            throw new ArgumentException($"Auth:Token in {configPath} must be at least 16 characters; delete it to have a new one generated");
        }

        if (OpenClaw.PollInterval < TimeSpan.FromMilliseconds(100) || OpenClaw.PollInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"OpenClaw:PollInterval must be between 00:00:00.1 and 01:00:00, not {OpenClaw.PollInterval}");
        }

        Memory.Model.Validate();
        Voice.Validate();
        Memory.Schedule.ResolveTimeZone();
        if (Memory.Digests.DeliveredKinds.FirstOrDefault(k => k is not ("hourly" or "daily" or "weekly" or "signals" or "context")) is { } unknown)
        {
            throw new ArgumentException($"Digests:Deliver: '{unknown}' is not something Mnemo delivers; use hourly, daily, weekly, signals or context (what was brought back after a compaction)");
        }

        if (Memory.Delivery.OpenClaw.IsConfigured && !Uri.TryCreate(Memory.Delivery.OpenClaw.Url, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"Delivery:OpenClaw:Url: '{Memory.Delivery.OpenClaw.Url}' is not a URL (example: http://127.0.0.1:18789/hooks/agent)");
        }

        Memory.Delivery.Telegram.Validate();
        Memory.Backup.Validate();
        Memory.Keep.Validate();
        Log.Validate();
        Telemetry.Validate();

        Memory.Retention.Validate();
    }
}
