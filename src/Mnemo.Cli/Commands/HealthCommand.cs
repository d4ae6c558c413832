using System.CommandLine;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mnemo.Server.Api;
using Mnemo.Server.Hosting;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo health [--json]</c>: the report of the running <c>mnemo serve</c> when there is one (it
/// knows its bot and its jobs), otherwise the same checks run here. Exits 0 healthy, 2 degraded,
/// 1 unhealthy.
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var command = new Command("health", "Check Mnemo: store, index, model, jobs, backups, voice queue, bot, OpenClaw, disk (exit 0 healthy, 2 degraded, 1 unhealthy)");
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var settings = MnemoSettings.Load(context.DataDirectory);
            var report = await ReportAsync(context, settings, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, ApiJsonContext.Default.HealthJson));
            }
            else
            {
                foreach (var line in MnemoHealth.ToLines(report))
                {
                    Console.WriteLine(line);
                }
            }

            return report.Status switch
            {
                "healthy" => 0,
                "degraded" => 2,
                _ => 1,
            };
        }));
        return command;
    }

    /// <summary>The report of the serve running on this data directory, else the checks run here.</summary>
    internal static async Task<HealthJson> ReportAsync(CliContext context, MnemoSettings settings, CancellationToken cancellationToken) =>
        await FromServeAsync(settings, cancellationToken).ConfigureAwait(false) ?? await HereAsync(context, settings, cancellationToken).ConfigureAwait(false);

    /// <summary>The report of the serve running on this data directory; null when none does.</summary>
    private static async Task<HealthJson?> FromServeAsync(MnemoSettings settings, CancellationToken cancellationToken)
    {
        if (!await ServeClient.IsRunningAsync(settings, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        using var http = ServeClient.Create(settings, TimeSpan.FromSeconds(60));
        try
        {
            using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            return await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.HealthJson, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<HealthJson> HereAsync(CliContext context, MnemoSettings settings, CancellationToken cancellationToken)
    {
        var provider = context.Services(settings, services => services.AddMnemoHealthChecks(settings));
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        return MnemoHealth.ToJson(report, MnemoApi.Version);
    }
}
