using System.CommandLine;
using Mnemo.Ingest;
using Mnemo.Readers;
using Spectre.Console;

namespace Mnemo.Cli.Commands;

/// <summary><c>mnemo ingest &lt;path&gt;... [--agent ID] [--format ...]</c></summary>
internal static class IngestCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("path") { Description = "OpenClaw state directory, transcript, agent database, dataset or chat log", Arity = ArgumentArity.OneOrMore };
        var agent = new Option<string?>("--agent") { Description = "Agent id to file the turns under (default: from the source)" };
        var format = new Option<string>("--format") { Description = "Input format", DefaultValueFactory = _ => "auto" };
        format.AcceptOnlyFromAmong([.. SourceDiscovery.Formats]);
        var command = new Command("ingest", "Read conversations into memory (re-running adds only what is new)") { paths, agent, format };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var engine = await context.OpenEngineAsync(cancellationToken).ConfigureAwait(false);
            var inputs = parse.GetValue(paths)!;
            IngestSummary summary;
            if (!context.Json && !Console.IsOutputRedirected)
            {
                summary = await AnsiConsole.Progress()
                    .AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new SpinnerColumn(), new ElapsedTimeColumn())
                    .StartAsync(async progressContext =>
                    {
                        var task = progressContext.AddTask("ingesting", maxValue: double.MaxValue);
                        var progress = new Progress<IngestProgress>(p => task.Description = $"{Path.GetFileName(p.Source)}: {p.TurnsRead} turns, {p.Added} new");
                        return await engine.IngestAsync(inputs, parse.GetValue(format)!, parse.GetValue(agent), progress, cancellationToken).ConfigureAwait(false);
                    }).ConfigureAwait(false);
            }
            else
            {
                summary = await engine.IngestAsync(inputs, parse.GetValue(format)!, parse.GetValue(agent), progress: null, cancellationToken).ConfigureAwait(false);
            }

            Print(context, summary);
            return summary.Skipped > 0 ? ExitCodes.UserError : ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(CliContext context, IngestSummary summary)
    {
        if (context.Json)
        {
            Console.WriteLine(CliJson.Serialize(new IngestJson(summary.Sources, summary.TurnsRead, summary.Added, summary.Updated, summary.Unchanged, summary.Embedded, summary.Skipped,
                Math.Round(summary.Elapsed.TotalSeconds, 3), summary.Issues.Select(i => new IssueJson(i.Source, i.Line, i.Message)).ToList())));
            return;
        }

        foreach (var issue in summary.Issues)
        {
            Console.Error.WriteLine($"skipped: {issue}");
        }

        if (summary.Skipped > summary.Issues.Count)
        {
            Console.Error.WriteLine($"... and {summary.Skipped - summary.Issues.Count} more");
        }

        Console.WriteLine(FormattableString.Invariant(
            $"{summary.Sources} sources, {summary.TurnsRead} turns read: {summary.Added} added, {summary.Updated} updated, {summary.Unchanged} unchanged, {summary.Embedded} embedded, {summary.Skipped} skipped ({summary.Elapsed.TotalSeconds:F1} s)"));
    }
}
