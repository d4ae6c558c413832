using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Mnemo.Server.Hosting;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo schedule [--crontab] [--json]</c>: the jobs with their schedule and last and next runs;
/// <c>--crontab</c> prints equivalent lines for the system cron, each calling <c>mnemo run &lt;job&gt;</c>.
/// </summary>
internal static class ScheduleCommand
{
    public static Command Create()
    {
        var crontab = new Option<bool>("--crontab") { Description = "Print crontab lines that run the jobs with 'mnemo run <job>' instead" };
        var command = new Command("schedule", "List the scheduled jobs with their last and next runs") { crontab };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var settings = MnemoSettings.Load(context.DataDirectory);
            var automation = context.Services(settings).GetRequiredService<Automation>();
            if (parse.GetValue(crontab))
            {
                foreach (var line in automation.Scheduler.ToCrontab(MnemoInvocation(context.DataDirectory)))
                {
                    Console.WriteLine(line);
                }

                return ExitCodes.Ok;
            }

            var jobs = await automation.Scheduler.ListAsync(cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(jobs.Select(j => new ScheduleJson(
                    j.Name, j.Description, j.Cron, j.Enabled, j.Available, j.State.NextRun, j.State.LastStarted, j.State.LastFinished,
                    j.State.LastDuration?.TotalMilliseconds, j.State.LastOutcome, j.State.LastDetail, j.State.Failures)).ToList()));
                return ExitCodes.Ok;
            }

            var zone = automation.Scheduler.TimeZone;
            Console.WriteLine($"times in {zone.Id}{(settings.Memory.Schedule.Enabled ? string.Empty : "; the scheduler is off (Schedule:Enabled false)")}");
            Console.WriteLine($"{"job",-18} {"cron",-14} {"next run",-17} {"last run",-17} {"outcome",-10} detail");
            foreach (var job in jobs)
            {
                string When(DateTimeOffset? t) => t is { } v ? TimeZoneInfo.ConvertTime(v, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";
                var next = !job.Available ? "(not built yet)" : !job.Enabled ? "(off)" : When(job.State.NextRun);
                var outcome = job.State.LastOutcome is null ? "-" : job.State.Failures > 0 ? $"{job.State.LastOutcome} x{job.State.Failures}" : job.State.LastOutcome;
                Console.WriteLine($"{job.Name,-18} {job.Cron ?? "-",-14} {next,-17} {When(job.State.LastStarted),-17} {outcome,-10} {job.State.LastDetail ?? job.Description}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>How cron should call this mnemo: the installed executable (or dotnet and the dll) with the data directory.</summary>
    internal static string MnemoInvocation(string dataDirectory)
    {
        var process = Environment.ProcessPath ?? "mnemo";
        var executable = Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? $"{Quote(process)} {Quote(typeof(ScheduleCommand).Assembly.Location)}"
            : Quote(process);
        return $"{executable} --data-dir {Quote(dataDirectory)}";
    }

    private static string Quote(string value) => value.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '%') ? $"'{value.Replace("'", "'\\''", StringComparison.Ordinal)}'" : value;
}
