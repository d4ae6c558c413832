using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mnemo.Health;
using Mnemo.Voice.Queue;

namespace Mnemo.Server.Hosting;

/// <summary>
/// The health checks of a running Mnemo, registered with .NET's health-check service, the same in
/// <c>mnemo serve</c> (<c>GET /health</c>) and in <c>mnemo health</c> when no serve runs. Exit codes
/// and HTTP statuses follow the worst check: healthy 0 / 200, degraded 2 / 200, unhealthy 1 / 503.
/// </summary>
public static class MnemoHealth
{
    public static IServiceCollection AddMnemoHealthChecks(this IServiceCollection services, MnemoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = settings.Memory.Health;
        // One store check for the process: its quick check runs every few minutes, not per report.
        services.AddSingleton(p => new StoreHealthCheck(p.GetRequiredService<MemoryEngine>(), options, p.GetRequiredService<TimeProvider>()));
        services.AddHealthChecks()
            .Add(Check("store", p => p.GetRequiredService<StoreHealthCheck>()))
            .Add(Check("index", p => new IndexHealthCheck(p.GetRequiredService<MemoryEngine>())))
            .Add(Check("embedder", p => new EmbedderHealthCheck(p.GetRequiredService<MemoryEngine>())))
            .Add(Check("data-quality", p => new DataQualityHealthCheck(p.GetRequiredService<MemoryEngine>(), p.GetRequiredService<TimeProvider>())))
            .Add(Check("jobs", p => new JobsHealthCheck(p.GetRequiredService<Automation>().Scheduler, options, p.GetRequiredService<TimeProvider>())))
            .Add(Check("backup", p => new BackupHealthCheck(
                p.GetRequiredService<Automation>().Backups,
                settings.Memory.Schedule,
                options,
                p.GetRequiredService<TimeProvider>(),
                p.GetRequiredService<MemoryEngine>() is { IsShared: true } shared ? new Mnemo.Scheduling.JobStore(shared.Records) : null)))
            .Add(Check("voice", p => new VoiceHealthCheck(p.GetRequiredService<VoiceJobStore>(), p.GetRequiredService<TimeProvider>())))
            .Add(Check("feedback-bot", p => new Mnemo.Delivery.FeedbackBotHealthCheck(p.GetService<Mnemo.Delivery.TelegramFeedbackBot>())))
            .Add(Check("openclaw", p => new OpenClawHealthCheck(
                settings.OpenClaw.Follow ? settings.OpenClaw.ResolveStateDirectory() : null,
                !string.IsNullOrWhiteSpace(settings.OpenClaw.StateDirectory) || Environment.GetEnvironmentVariable("MNEMO_OPENCLAW_DIR") is { Length: > 0 },
                p.GetService<Live.OpenClawWatcher>() is { } watcher ? () => watcher.Unreadable : null)))
            .Add(Check("disk", _ => new DiskHealthCheck(settings.Memory.DataDirectory, options)));
        return services;
    }

    /// <summary>The exit code of <c>mnemo health</c> for a status.</summary>
    public static int ExitCode(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => 0,
        HealthStatus.Degraded => 2,
        _ => 1,
    };

    public static string Name(HealthStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>
    /// Keeps the latest report for the endpoints (<see cref="HealthReportCache"/>), refreshed in the
    /// background every <see cref="HealthReportCache.Period"/>; only <c>mnemo serve</c> needs it.
    /// </summary>
    public static IServiceCollection AddHealthReportCache(this IServiceCollection services)
    {
        services.AddSingleton<HealthReportCache>();
        services.AddSingleton<IHealthCheckPublisher>(p => p.GetRequiredService<HealthReportCache>());
        services.Configure<HealthCheckPublisherOptions>(o =>
        {
            o.Delay = TimeSpan.FromSeconds(5);
            o.Period = HealthReportCache.Period;
        });
        return services;
    }

    public static Api.HealthJson ToJson(HealthReport report, string version) => new(
        Name(report.Status),
        version,
        [.. report.Entries.Select(e => new Api.HealthCheckJson(e.Key, Name(e.Value.Status), e.Value.Description ?? e.Value.Exception?.Message ?? string.Empty, Math.Round(e.Value.Duration.TotalMilliseconds, 1)))]);

    /// <summary>The report as lines for a terminal.</summary>
    public static IEnumerable<string> ToLines(Api.HealthJson report)
    {
        ArgumentNullException.ThrowIfNull(report);
        yield return $"mnemo is {report.Status}";
        foreach (var check in report.Checks)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"  {check.Status,-9} {check.Name,-13} {check.Reason}");
        }
    }

    private static HealthCheckRegistration Check(string name, Func<IServiceProvider, IHealthCheck> factory) =>
        new(name, factory, failureStatus: HealthStatus.Unhealthy, tags: null, timeout: TimeSpan.FromSeconds(30));
}
