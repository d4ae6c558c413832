using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Mnemo.Digests;
using Mnemo.Server.Api;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo digests [--kind hourly|daily|weekly] [--agent ID] [-n 3] [--json]</c> and
/// <c>mnemo signals [--days 3] [--json]</c>: what the scheduled jobs wrote, newest first.
/// </summary>
internal static class DigestsCommand
{
    public static Command CreateDigests()
    {
        var kind = new Option<string?>("--kind") { Description = "hourly, daily or weekly (default: all)" };
        var agent = new Option<string?>("--agent") { Description = "Only this agent's digests" };
        var count = new Option<int>("-n") { Description = "How many (default 3)", DefaultValueFactory = _ => 3 };
        var command = new Command("digests", "Show the latest digests") { kind, agent, count };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var parsed = DigestStore.ParseKind(parse.GetValue(kind));
            if (parse.GetValue(kind) is { } given && parsed is null)
            {
                throw new ArgumentException($"--kind must be hourly, daily or weekly, not '{given}'");
            }

            if (parse.GetValue(count) is < 1 or > 500)
            {
                throw new ArgumentException("-n must be between 1 and 500");
            }

            var digests = await context.Services().GetRequiredService<DigestStore>().LatestAsync(parsed, parse.GetValue(agent), parse.GetValue(count), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new DigestListJson([.. digests.Select(AutomationApi.ToJson)]), AutomationJsonContext.Default.DigestListJson));
                return ExitCodes.Ok;
            }

            Console.WriteLine(digests.Count == 0 ? "No digests yet (mnemo run hourly-summary writes one for the last hours)." : string.Join("\n---\n\n", digests.Select(d => $"[{d.Handle}, {d.Method}] {d.Text.Trim()}\n")));
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command CreateSignals()
    {
        var days = new Option<int>("--days") { Description = "How many days back (default 3)", DefaultValueFactory = _ => 3 };
        var command = new Command("signals", "Show what the signal detectors found across agents") { days };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            if (parse.GetValue(days) is < 1 or > 3650)
            {
                throw new ArgumentException("--days must be between 1 and 3650");
            }

            var services = context.Services();
            var signals = await services.GetRequiredService<Signals.SignalStore>().ListAsync(services.GetRequiredService<TimeProvider>().GetUtcNow().AddDays(-parse.GetValue(days)), null, null, 500, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new SignalListJson([.. signals.Select(AutomationApi.ToJson)]), AutomationJsonContext.Default.SignalListJson));
                return ExitCodes.Ok;
            }

            foreach (var signal in signals)
            {
                Console.WriteLine($"[{signal.Handle}] {signal.Severity,-8} {signal.Kind,-20} {signal.Title}  (evidence {ExtractiveSummarizer.Cite(signal.Evidence.Take(5))})");
            }

            if (signals.Count == 0)
            {
                Console.WriteLine("No signals (mnemo run signals looks for them now).");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
