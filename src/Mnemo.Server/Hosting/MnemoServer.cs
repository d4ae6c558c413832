using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mnemo.Server.Api;
using Mnemo.Server.Live;
using Mnemo.Server.Mcp;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serilog;

namespace Mnemo.Server.Hosting;

/// <summary>Builds the <c>mnemo serve</c> host and the <c>mnemo mcp</c> (stdio) host.</summary>
public static class MnemoServer
{
    /// <summary>The HTTP host: API, MCP over streamable HTTP at <c>/mcp</c>, the OpenClaw follower.</summary>
    /// <param name="configureServices">Extra registrations (tests share one embedder this way).</param>
    /// <exception cref="InvalidOperationException">Another serve is using the data directory (<see cref="ServeLock"/>).</exception>
    public static WebApplication Build(MnemoSettings settings, LogLevel minimumLevel = LogLevel.Information, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var serveLock = ServeLock.Acquire(settings.Memory.DataDirectory);
        try
        {
            return Build(settings, minimumLevel, configureServices, serveLock);
        }
        catch
        {
            serveLock.Dispose();
            throw;
        }
    }

    private static WebApplication Build(MnemoSettings settings, LogLevel minimumLevel, Action<IServiceCollection>? configureServices, ServeLock serveLock)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = settings.Memory.DataDirectory });
        builder.WebHost.UseUrls(settings.Server.Urls);
        builder.Services.Configure<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions>(o =>
        {
            o.AllowedHosts = [.. settings.Server.HostNames(settings.Memory.Delivery.Telegram.WebhookUrl)];
            o.AllowEmptyHosts = false;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.Server.MaxRequestBytes;
        });
        ConfigureLogging(builder.Logging, minimumLevel, settings);

        var services = builder.Services;
        services.AddSingleton(_ => serveLock); // a factory's singleton is disposed with the host: the lock goes with it
        services.AddMnemo(settings).WithConfiguredStore().WithConfiguredEmbeddings().WithWhisper().WithTelegram().WithAutomation();
        configureServices?.Invoke(services);
        services.AddSingleton<IngestSignal>();
        services.AddSingleton<HostEvents>();
        if (settings.OpenClaw.Follow)
        {
            services.AddSingleton<OpenClawWatcher>();
            services.AddHostedService(provider => provider.GetRequiredService<OpenClawWatcher>());
        }

        services.AddHostedService<VoiceHost>();
        if (settings.Memory.Schedule.Enabled)
        {
            services.AddHostedService<SchedulerHost>();
        }

        services.AddHostedService<FeedbackBotHost>();
        if (settings.Memory.Store.IsShared)
        {
            services.AddHostedService<SharedStoreHost>();
        }

        services.AddMnemoHealthChecks(settings).AddHealthReportCache();
        AddTelemetry(services, settings);

        services.AddHostedService<EmbedderWarmup>();

        // The dashboard's forms carry antiforgery tokens. Their keys live in memory only: a restart
        // makes an open form stale (it is reloaded), and nothing is written to the home directory.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "mnemo_antiforgery";
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.HttpOnly = true;
            options.FormFieldName = "__antiforgery";
        });
        services.AddSingleton<Dashboard.LatencyHistory>();
        services.AddSingleton<McpForgetBudget>();
        services.AddMcpServer(options => options.ServerInfo = new() { Name = "mnemo", Version = "1.0" })
            .WithHttpTransport(options => options.Stateless = true)
            .WithTools<MemoryTools>()
            .WithTools<DigestTools>();

        var app = builder.Build();
        app.UseMiddleware<TokenAuthentication>();
        app.Use(StoreFailuresAsync);
        app.MapMnemoApi();
        app.MapTelegramWebhook();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapMcp("/mcp");
        Dashboard.DashboardPages.MapDashboard(app);

        // Open the store before the first request, so that a broken data directory fails the start.
        app.Services.GetRequiredService<MemoryEngine>();
        app.Services.GetRequiredService<Automation>();
        app.Services.GetRequiredService<Dashboard.LatencyHistory>(); // listening before the first search
        app.Services.GetRequiredService<ServeLock>();
        return app;
    }

    /// <summary>
    /// OpenTelemetry: Mnemo's own meter and activity source (ingest, search, context, jobs, model
    /// tokens, voice), ASP.NET Core and outgoing HTTP, the runtime; Prometheus text at <c>/metrics</c>
    /// and OTLP when <c>Telemetry:OtlpEndpoint</c> is set.
    /// </summary>
    private static void AddTelemetry(IServiceCollection services, MnemoSettings settings)
    {
        services.AddSingleton<QueueGauges>();
        services.AddHostedService(provider => provider.GetRequiredService<QueueGauges>());
        var otlp = settings.Telemetry.OtlpEndpoint is { Length: > 0 } endpoint ? new Uri(endpoint) : null;
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("mnemo", serviceVersion: MnemoApi.Version))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Telemetry.Name, QueueGauges.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(o => o.Endpoint = otlp);
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(Telemetry.Name)
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics"))
                    .AddHttpClientInstrumentation();
                if (otlp is not null)
                {
                    tracing.AddOtlpExporter(o => o.Endpoint = otlp);
                }
            });
    }

    /// <summary>The MCP host over stdin/stdout; every log goes to stderr.</summary>
    public static IHost BuildStdio(MnemoSettings settings, LogLevel minimumLevel = LogLevel.Warning, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = settings.Memory.DataDirectory });
        ConfigureLogging(builder.Logging, minimumLevel, settings, toFiles: false);
        configureServices?.Invoke(builder.Services);
        builder.Services.AddMnemo(settings).WithConfiguredStore().WithConfiguredEmbeddings().WithTelegram().WithAutomation();
        builder.Services.AddSingleton<McpForgetBudget>();
        builder.Services.AddMcpServer(options => options.ServerInfo = new() { Name = "mnemo", Version = "1.0" })
            .WithStdioServerTransport()
            .WithTools<MemoryTools>()
            .WithTools<DigestTools>();
        return builder.Build();
    }

    /// <summary>
    /// Console (stderr) and rolling files in the data directory through Serilog's file sink; the
    /// level and the format (plain lines or JSON lines) from <c>Log</c>. Nothing here logs secrets or
    /// memory text above Debug: the messages carry ids and counts, never the text.
    /// </summary>
    /// <param name="toFiles">False for <c>mnemo mcp</c>: OpenClaw may run several at once, and they log to stderr, which it keeps.</param>
    /// <summary>The frameworks' log categories, held at Warning (or the configured level when higher): their Information lines carry URLs and bodies' shapes, not Mnemo's story.</summary>
    private static readonly string[] FrameworkCategories = ["Microsoft.AspNetCore", "Microsoft.Hosting", "ModelContextProtocol", "System.Net.Http.HttpClient"];

    private static void ConfigureLogging(ILoggingBuilder logging, LogLevel minimumLevel, MnemoSettings settings, bool toFiles = true)
    {
        var options = settings.Log;
        var level = options.ResolveLevel(minimumLevel);
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        var framework = level > LogLevel.Warning ? level : LogLevel.Warning;
        foreach (var category in FrameworkCategories)
        {
            logging.AddFilter(category, framework);
        }

        if (options.Format == "json")
        {
            logging.AddJsonConsole(json => json.TimestampFormat = "O");
        }
        else
        {
            logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss ";
            });
        }

        logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        if (!options.File || !toFiles)
        {
            return;
        }

        var directory = options.ResolveDirectory(settings.Memory.DataDirectory);
        DataDirectory.Ensure(directory);
        var file = new LoggerConfiguration().MinimumLevel.Is(Serilog.Extensions.Logging.LevelConvert.ToSerilogLevel(level));
        // AddSerilog gives Serilog's provider a filter rule of its own (everything; Serilog filters),
        // and a provider with its own rules skips the category rules above: the framework's levels
        // are stated to Serilog too, or request lines (URLs with their query strings) reach the file.
        foreach (var category in FrameworkCategories)
        {
            file = file.MinimumLevel.Override(category, Serilog.Extensions.Logging.LevelConvert.ToSerilogLevel(framework));
        }

        var path = Path.Combine(directory, "mnemo.log");
        file = options.Format == "json"
            ? file.WriteTo.File(new Serilog.Formatting.Compact.RenderedCompactJsonFormatter(), path, fileSizeLimitBytes: options.FileMaxBytes, rollOnFileSizeLimit: true, retainedFileCountLimit: options.FilesKept, flushToDiskInterval: TimeSpan.FromSeconds(1))
            : file.WriteTo.File(path, outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}", fileSizeLimitBytes: options.FileMaxBytes, rollOnFileSizeLimit: true, retainedFileCountLimit: options.FilesKept, flushToDiskInterval: TimeSpan.FromSeconds(1));
        logging.AddSerilog(file.CreateLogger(), dispose: true);
    }

    /// <summary>
    /// Failures of what lies under the API answer with what is wrong instead of an empty 500: a shared
    /// store that cannot be reached (503 store_unavailable), a full disk (507 store_full), the embedding
    /// model failing (503 embedding_failed), the database locked by another process (503 store_busy).
    /// In each case nothing of the request was stored, and the same request can be sent again. Store
    /// failures are recognized by the classifiers the stores registered (<see cref="Mnemo.Storage.IStoreErrorClassifier"/>),
    /// so the host knows no provider's error codes.
    /// </summary>
    private static async Task StoreFailuresAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted && Classify(context, ex) is { } failure)
        {
            var (status, code) = failure.Kind switch
            {
                // The disk is full (or a file-size limit was reached): the write was rolled back. 507
                // says the server cannot store it; the message says nothing of it was stored.
                Mnemo.Storage.StoreFailureKind.Full => (StatusCodes.Status507InsufficientStorage, "store_full"),
                Mnemo.Storage.StoreFailureKind.Busy => (StatusCodes.Status503ServiceUnavailable, "store_busy"),
                _ => (StatusCodes.Status503ServiceUnavailable, "store_unavailable"),
            };
            if (failure.Kind == Mnemo.Storage.StoreFailureKind.Busy)
            {
                context.Response.Headers.RetryAfter = "5";
            }

            await Api.RequestBody.Error(status, code, failure.Message).ExecuteAsync(context).ConfigureAwait(false);
        }
        catch (Mnemo.Embeddings.EmbeddingFailedException ex) when (!context.Response.HasStarted)
        {
            // The model (a local one that failed, an endpoint down or answering errors): nothing of the batch was stored.
            context.Response.Headers.RetryAfter = "30";
            await Api.RequestBody.Error(StatusCodes.Status503ServiceUnavailable, "embedding_failed", ex.Message)
                .ExecuteAsync(context).ConfigureAwait(false);
        }
        catch (Mnemo.Search.QueryRejectedException ex) when (!context.Response.HasStarted)
        {
            await Api.RequestBody.Error(StatusCodes.Status400BadRequest, "invalid_query", ex.Message, "query")
                .ExecuteAsync(context).ConfigureAwait(false);
        }
    }

    /// <summary>The failure a store's exception stands for, by the classifiers the stores registered.</summary>
    private static Mnemo.Storage.StoreFailure? Classify(HttpContext context, Exception exception) =>
        context.RequestServices.GetServices<Mnemo.Storage.IStoreErrorClassifier>().Select(c => c.Classify(exception)).FirstOrDefault(f => f is not null);
}
