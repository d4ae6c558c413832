using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mnemo.Server.Api;
using Mnemo.Server.Live;
using Mnemo.Server.Mcp;

namespace Mnemo.Server.Hosting;

/// <summary>Builds the <c>mnemo serve</c> host and the <c>mnemo mcp</c> (stdio) host.</summary>
public static class MnemoServer
{
    /// <summary>The HTTP host: API, MCP over streamable HTTP at <c>/mcp</c>, the OpenClaw follower.</summary>
    /// <param name="configureServices">Extra registrations (tests share one embedder this way).</param>
    public static WebApplication Build(MnemoSettings settings, LogLevel minimumLevel = LogLevel.Information, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = settings.Memory.DataDirectory });
        builder.WebHost.UseUrls(settings.Server.Urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.Server.MaxRequestBytes;
        });
        ConfigureLogging(builder.Logging, minimumLevel);

        var services = builder.Services;
        services.AddSingleton(settings.Server);
        services.AddSingleton(settings.OpenClaw);
        services.AddMnemo(settings.Memory).WithSqlite();
        configureServices?.Invoke(services);
        services.AddSingleton<IngestSignal>();
        services.AddSingleton<HostEvents>();
        if (settings.OpenClaw.Follow)
        {
            services.AddSingleton<OpenClawWatcher>();
            services.AddHostedService(provider => provider.GetRequiredService<OpenClawWatcher>());
        }

        services.AddSingleton(settings.Voice);
        services.AddSingleton(provider => new Mnemo.Voice.Queue.VoiceJobStore(provider.GetRequiredService<MemoryEngine>().Store, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new Mnemo.Voice.Queue.VoiceWorkers(
            provider.GetRequiredService<MemoryEngine>(),
            provider.GetRequiredService<Mnemo.Voice.Queue.VoiceJobStore>(),
            settings.Voice,
            settings.Memory.DataDirectory,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<Mnemo.Voice.Queue.VoiceWorkers>>(),
            provider.GetService<Func<Mnemo.Voice.Transcription.ITranscriber>>()));
        services.AddSingleton(provider => new Mnemo.Voice.Queue.VoiceIntake(
            provider.GetRequiredService<Mnemo.Voice.Queue.VoiceWorkers>(),
            settings.Voice,
            settings.Memory.DataDirectory,
            settings.OpenClaw.ResolveStateDirectory(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<Mnemo.Voice.Queue.VoiceIntake>>()));
        services.AddHostedService<VoiceHost>();
        services.AddSingleton(provider => Automation.Create(
            provider.GetRequiredService<MemoryEngine>(),
            settings.OpenClaw.ResolveStateDirectory(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILoggerFactory>(),
            provider.GetService<Microsoft.Extensions.AI.IChatClient>(),
            [new Mnemo.Voice.Queue.VoiceSweepJob(provider.GetRequiredService<Mnemo.Voice.Queue.VoiceIntake>())]));
        services.AddSingleton(provider => provider.GetRequiredService<Automation>().Feedback);
        if (settings.Memory.Schedule.Enabled)
        {
            services.AddHostedService<SchedulerHost>();
        }

        services.AddHostedService<FeedbackBotHost>();
        services.AddMnemoHealthChecks(settings);

        services.AddHostedService<EmbedderWarmup>();
        services.AddMcpServer(options => options.ServerInfo = new() { Name = "mnemo", Version = "1.0" })
            .WithHttpTransport(options => options.Stateless = true)
            .WithTools<MemoryTools>()
            .WithTools<DigestTools>();

        var app = builder.Build();
        app.UseMiddleware<TokenAuthentication>();
        app.MapMnemoApi();
        app.MapTelegramWebhook();
        app.MapMcp("/mcp");

        // Open the store before the first request, so that a broken data directory fails the start.
        app.Services.GetRequiredService<MemoryEngine>();
        app.Services.GetRequiredService<Automation>();
        return app;
    }

    /// <summary>The MCP host over stdin/stdout; every log goes to stderr.</summary>
    public static IHost BuildStdio(MnemoSettings settings, LogLevel minimumLevel = LogLevel.Warning, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = settings.Memory.DataDirectory });
        ConfigureLogging(builder.Logging, minimumLevel);
        configureServices?.Invoke(builder.Services);
        builder.Services.AddMnemo(settings.Memory).WithSqlite();
        builder.Services.AddSingleton(provider => Automation.Create(
            provider.GetRequiredService<MemoryEngine>(),
            settings.OpenClaw.ResolveStateDirectory(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILoggerFactory>(),
            provider.GetService<Microsoft.Extensions.AI.IChatClient>()));
        builder.Services.AddMcpServer(options => options.ServerInfo = new() { Name = "mnemo", Version = "1.0" })
            .WithStdioServerTransport()
            .WithTools<MemoryTools>()
            .WithTools<DigestTools>();
        return builder.Build();
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LogLevel minimumLevel)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(minimumLevel);
        logging.AddFilter("Microsoft.AspNetCore", minimumLevel > LogLevel.Warning ? minimumLevel : LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting", minimumLevel > LogLevel.Warning ? minimumLevel : LogLevel.Warning);
        logging.AddFilter("ModelContextProtocol", minimumLevel > LogLevel.Warning ? minimumLevel : LogLevel.Warning);
        logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss ";
        });
        logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
