using Microsoft.Extensions.Hosting;

namespace Mnemo.Server.Live;

/// <summary>Runs the built-in scheduler inside <c>mnemo serve</c>.</summary>
internal sealed class SchedulerHost(Automation automation) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => automation.Scheduler.RunAsync(stoppingToken);
}
