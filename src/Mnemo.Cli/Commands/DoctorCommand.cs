using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo doctor [--rebuild-fts] [--json]</c>: checks the store (SQLite's integrity check on a
/// connection of its own), and with <c>--rebuild-fts</c> builds the full-text index again from the
/// memory rows, as the vector index is rebuilt from the stored vectors when it is found stale.
/// Safe while <c>mnemo serve</c> runs: searches use the old index until the new one is committed.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var rebuild = new Option<bool>("--rebuild-fts") { Description = "Build the full-text index again from the stored memories" };
        var command = new Command("doctor", "Check the store; --rebuild-fts rebuilds the full-text index") { rebuild };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var engine = await context.OpenEngineAsync(cancellationToken).ConfigureAwait(false);
            long? rebuilt = null;
            double? rebuildMs = null;
            if (parse.GetValue(rebuild))
            {
                var clock = Stopwatch.StartNew();
                rebuilt = await engine.Store.RebuildTextIndexAsync(cancellationToken).ConfigureAwait(false);
                rebuildMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1);
            }

            var integrity = await engine.Store.CheckIntegrityAsync(cancellationToken).ConfigureAwait(false);
            var sound = integrity == "ok";
            var json = new DoctorJson(sound, integrity, rebuilt, rebuildMs, context.DataDirectory);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(json));
            }
            else
            {
                if (rebuilt is { } count)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"full-text index rebuilt: {count} memories in {rebuildMs:F0} ms"));
                }

                Console.WriteLine(sound ? "integrity check: ok" : $"integrity check found problems:\n{integrity}");
            }

            return sound ? ExitCodes.Ok : ExitCodes.SystemError;
        }));
        return command;
    }
}

/// <summary>What <c>mnemo doctor --json</c> prints.</summary>
internal sealed record DoctorJson(bool Sound, string Integrity, long? FullTextRebuilt, double? RebuildMs, string DataDirectory);
