using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Mnemo.Server.Api;
using Mnemo.Server.Hosting;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo run &lt;job&gt;</c>: runs one scheduled job now and records the run like the scheduler
/// does. When <c>mnemo serve</c> is running on this data directory the job runs inside it (one
/// writer per store); otherwise here. Refused while the same job runs elsewhere. Exit 0 when it
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
            var name = parse.GetValue(job)!;
            var settings = MnemoSettings.Load(context.DataDirectory);
            var (run, where) = await RunInServeAsync(settings, name, cancellationToken).ConfigureAwait(false) is { } remote
                ? (remote.Run, remote.Where)
                : (await RunHereAsync(context, settings, name, cancellationToken).ConfigureAwait(false), "here");
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(new RunJson(run.Job, run.Succeeded, run.Started, run.Finished, run.Detail, where)));
            }
            else
            {
                var seconds = (run.Finished - run.Started).TotalSeconds;
                var place = where == "here" ? string.Empty : $" (in {where})";
                (run.Succeeded ? Console.Out : Console.Error).WriteLine(string.Create(CultureInfo.InvariantCulture, $"mnemo: {run.Job} {(run.Succeeded ? "succeeded" : "failed")} in {seconds:F1} s{place}: {run.Detail}"));
            }

            return run.Succeeded ? ExitCodes.Ok : ExitCodes.SystemError;
        }));
        return command;
    }

    private static async Task<JobRunJson> RunHereAsync(CliContext context, MnemoSettings settings, string name, CancellationToken cancellationToken)
    {
        var automation = context.Services(settings).GetRequiredService<Automation>();
        var run = await automation.Scheduler.RunNowAsync(name, cancellationToken).ConfigureAwait(false);
        return new JobRunJson(run.Job, Scheduling.JobStore.TriggerName(run.Trigger), run.Attempt, run.Started, run.Finished, run.Succeeded, run.Detail);
    }

    /// <summary>Asks a running <c>mnemo serve</c> to run the job; null when none answers.</summary>
    private static async Task<(JobRunJson Run, string Where)?> RunInServeAsync(MnemoSettings settings, string name, CancellationToken cancellationToken)
    {
        using var http = ServeClient.Create(settings, Timeout.InfiniteTimeSpan);
        var address = http.BaseAddress!;
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(new Uri($"/v1/jobs/{Uri.EscapeDataString(name)}/run", UriKind.Relative), null, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                // Something serves there, but not this data directory (its token differs): run here.
                return null;
            }

            if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.InternalServerError
                && await response.Content.ReadFromJsonAsync(AutomationJsonContext.Default.JobRunJson, cancellationToken).ConfigureAwait(false) is { } run)
            {
                return (run, $"mnemo serve at {address.GetLeftPart(UriPartial.Authority)}");
            }

            var problem = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var detail = problem.Contains("\"detail\"", StringComparison.Ordinal)
                ? System.Text.Json.JsonDocument.Parse(problem).RootElement.GetProperty("detail").GetString()
                : $"{(int)response.StatusCode} {response.ReasonPhrase}";
            throw response.StatusCode switch
            {
                HttpStatusCode.NotFound => new ArgumentException(detail),
                _ => new InvalidOperationException(detail),
            };
        }
    }
}
