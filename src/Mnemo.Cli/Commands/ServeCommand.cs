using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo serve [--openclaw-dir DIR] [--poll SECONDS]</c>: ingests the OpenClaw state directory and
/// keeps following it (file change notifications, with polling as a backstop) until stopped.
/// </summary>
internal static partial class ServeCommand
{
    public static Command Create()
    {
        var openClaw = new Option<string?>("--openclaw-dir") { Description = "OpenClaw state directory (default: $MNEMO_OPENCLAW_DIR or ~/.openclaw)" };
        var poll = new Option<double>("--poll") { Description = "Seconds between checks when no change notification arrives", DefaultValueFactory = _ => 5 };
        var once = new Option<bool>("--once") { Description = "Ingest once and exit" };
        var command = new Command("serve", "Run Mnemo: follow OpenClaw's transcripts and keep memory current") { openClaw, poll, once };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var directory = Path.GetFullPath(parse.GetValue(openClaw)
                ?? Environment.GetEnvironmentVariable("MNEMO_OPENCLAW_DIR")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".openclaw"));
            var interval = TimeSpan.FromSeconds(Math.Max(0.2, parse.GetValue(poll)));
            var logger = context.LoggerFactory.CreateLogger("Mnemo.Serve");
            await using var engine = await context.OpenEngineAsync(cancellationToken).ConfigureAwait(false);
            using var follower = new OpenClawFollower(directory);
            LogStarted(logger, directory, context.DataDirectory);
            Console.Error.WriteLine($"mnemo: following {directory}; memory in {context.DataDirectory}. Ctrl-C stops.");
            while (!cancellationToken.IsCancellationRequested)
            {
                if (Directory.Exists(directory))
                {
                    var summary = await engine.IngestAsync([directory], "auto", agent: null, progress: null, cancellationToken).ConfigureAwait(false);
                    if (summary.Added + summary.Updated > 0)
                    {
                        LogIngested(logger, summary.Added, summary.Updated, summary.Skipped);
                        Console.Error.WriteLine($"mnemo: {summary.Added} new memories ({summary.Skipped} skipped)");
                    }
                }

                if (parse.GetValue(once))
                {
                    break;
                }

                try
                {
                    await follower.WaitForChangeAsync(interval, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            await engine.Index.SaveAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Following {Directory}, data in {DataDirectory}")]
    private static partial void LogStarted(ILogger logger, string directory, string dataDirectory);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Ingested {Added} new and {Updated} updated memories ({Skipped} skipped)")]
    private static partial void LogIngested(ILogger logger, long added, long updated, long skipped);
}
