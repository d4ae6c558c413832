using System.CommandLine;
using System.Globalization;
using Mnemo.Server.Hosting;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo run &lt;job&gt;</c>: runs one scheduled job now and records the run like the scheduler
/// does; refuses while the same job runs elsewhere (in <c>mnemo serve</c>, say). Exit 0 when it
/// succeeded, 2 when it failed.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "hourly-summary, daily-sync, weekly-synthesis, signals or compaction-sweep" };
        var command = new Command("run", "Run one scheduled job now (what the crontab lines of 'mnemo schedule --crontab' call)") { job };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var settings = MnemoSettings.Load(context.DataDirectory);
            await using var engine = await MemoryEngine.OpenAsync(settings.Memory, loggerFactory: context.LoggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);
            using var automation = Automation.Create(engine, settings.OpenClaw.ResolveStateDirectory(), loggerFactory: context.LoggerFactory);
            var run = await automation.Scheduler.RunNowAsync(parse.GetValue(job)!, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(new RunJson(run.Job, run.Succeeded, run.Started, run.Finished, run.Detail)));
            }
            else
            {
                var seconds = (run.Finished - run.Started).TotalSeconds;
                (run.Succeeded ? Console.Out : Console.Error).WriteLine(string.Create(CultureInfo.InvariantCulture, $"mnemo: {run.Job} {(run.Succeeded ? "succeeded" : "failed")} in {seconds:F1} s: {run.Detail}"));
            }

            return run.Succeeded ? ExitCodes.Ok : ExitCodes.SystemError;
        }));
        return command;
    }
}
