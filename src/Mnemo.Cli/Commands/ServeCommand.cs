using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mnemo.Server.Hosting;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo serve [--urls URL] [--openclaw-dir DIR] [--poll SECONDS] [--no-follow] [--once]</c>: the
/// daemon. HTTP API and MCP on 127.0.0.1:7420, OpenClaw transcripts followed live, until stopped.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = $"Where to listen (default {ServerOptions.DefaultUrls}, or Server:Urls in config.json)" };
        var openClaw = new Option<string?>("--openclaw-dir") { Description = "OpenClaw state directory (default: $MNEMO_OPENCLAW_DIR or ~/.openclaw)" };
        var poll = new Option<double?>("--poll") { Description = "Seconds between checks when no change notification arrives (default 1)" };
        var noFollow = new Option<bool>("--no-follow") { Description = "Do not read OpenClaw's transcripts; serve the API only" };
        var once = new Option<bool>("--once") { Description = "Ingest the OpenClaw state directory once and exit, without serving" };
        var command = new Command("serve", "Run Mnemo: HTTP API, MCP, and live ingestion of OpenClaw's transcripts") { urls, openClaw, poll, noFollow, once };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(urls) is { } listen)
            {
                overrides["Server:Urls"] = listen;
            }

            if (parse.GetValue(openClaw) is { } directory)
            {
                overrides["OpenClaw:StateDirectory"] = Path.GetFullPath(directory);
            }

            if (parse.GetValue(poll) is { } seconds)
            {
                overrides["OpenClaw:PollInterval"] = TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture);
            }

            if (parse.GetValue(noFollow))
            {
                overrides["OpenClaw:Follow"] = "false";
            }

            var settings = MnemoSettings.Load(context.DataDirectory, overrides);
            if (parse.GetValue(once))
            {
                return await IngestOnceAsync(context, settings, cancellationToken).ConfigureAwait(false);
            }

            await using var app = MnemoServer.Build(settings, context.Verbose ? LogLevel.Debug : LogLevel.Information);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var following = settings.OpenClaw.Follow ? $"following {settings.OpenClaw.ResolveStateDirectory()}" : "not following OpenClaw";
            Console.Error.WriteLine($"mnemo: listening on {string.Join(", ", app.Urls)}; {following}; memory in {context.DataDirectory}. Ctrl-C stops.");
            try
            {
                await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C or SIGTERM: a normal stop.
            }

            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<int> IngestOnceAsync(CliContext context, MnemoSettings settings, CancellationToken cancellationToken)
    {
        var directory = settings.OpenClaw.ResolveStateDirectory();
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"OpenClaw state directory {directory} does not exist");
        }

        var engine = await context.OpenEngineAsync(cancellationToken, settings).ConfigureAwait(false);
        var summary = await engine.IngestAsync([directory], "auto", agent: null, progress: null, cancellationToken).ConfigureAwait(false);
        Console.Error.WriteLine($"mnemo: {summary.Added} new memories, {summary.NewCompactions.Count} new compactions ({summary.Skipped} skipped)");
        return ExitCodes.Ok;
    }
}
