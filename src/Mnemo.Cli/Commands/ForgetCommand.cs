using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using Mnemo.Server.Api;
using Mnemo.Server.Hosting;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo forget [--id N]... [--agent] [--session] [--since] [--until] [--query] [--limit] [--dry-run] [--yes]</c>:
/// shows what would go, asks, then removes it for good; through the running serve when there is one
/// (it holds the vector index), otherwise here.
/// </summary>
internal static class ForgetCommand
{
    public static Command Create()
    {
        var ids = new Option<long[]>("--id") { Description = "A memory id (repeatable)", AllowMultipleArgumentsPerToken = true };
        var agent = new Option<string?>("--agent") { Description = "Everything of this agent (with the other filters)" };
        var session = new Option<string?>("--session") { Description = "Everything of this session" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "From this time (ISO 8601)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Before this time (ISO 8601)" };
        var query = new Option<string?>("--query") { Description = "The best matches of this search (within the filters)" };
        var limit = new Option<int>("--limit") { Description = "At most this many (default 100)", DefaultValueFactory = _ => 100 };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be forgotten" };
        var yes = new Option<bool>("--yes") { Description = "Do not ask for confirmation" };
        var command = new Command("forget", "Delete memories for good: text, full-text entries, vectors, cached embeddings (the audit log keeps the fact, not the text)")
        {
            ids, agent, session, since, until, query, limit, dryRun, yes,
        };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var request = new ForgetRequestJson(
                parse.GetValue(ids) is { Length: > 0 } given ? [.. given] : null,
                parse.GetValue(agent), parse.GetValue(session), parse.GetValue(since), parse.GetValue(until), parse.GetValue(query), parse.GetValue(limit), DryRun: true);
            var settings = MnemoSettings.Load(context.DataDirectory);
            var serve = await ServeClient.IsRunningAsync(settings, cancellationToken).ConfigureAwait(false);
            var preview = await ForgetAsync(context, settings, serve, request, cancellationToken).ConfigureAwait(false);
            if (preview.Matched == 0)
            {
                Console.WriteLine("nothing matches; nothing forgotten");
                return ExitCodes.Ok;
            }

            if (!context.Json || parse.GetValue(dryRun))
            {
                Print(preview, context.Json);
            }

            if (parse.GetValue(dryRun))
            {
                return ExitCodes.Ok;
            }

            if (!parse.GetValue(yes))
            {
                if (Console.IsInputRedirected)
                {
                    Console.Error.WriteLine($"mnemo: {preview.Matched} memories would be forgotten; add --yes to do it");
                    return ExitCodes.UserError;
                }

                Console.Write($"Forget these {preview.Matched} memories for good? [y/N] ");
                if (!string.Equals(Console.ReadLine()?.Trim(), "y", StringComparison.OrdinalIgnoreCase))
                {
                    Console.Error.WriteLine("mnemo: nothing forgotten");
                    return ExitCodes.UserError;
                }
            }

            // The same selection again, now for real (ids, so that exactly what was shown goes).
            var done = await ForgetAsync(context, settings, serve, new ForgetRequestJson([.. preview.Memories.Select(m => m.Id)], null, null, null, null, null, preview.Matched, DryRun: false), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(done, ApiJsonContext.Default.ForgetSelectionJson));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"forgot {done.Forgotten.Count} memories"));
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<ForgetSelectionJson> ForgetAsync(CliContext context, MnemoSettings settings, bool serve, ForgetRequestJson request, CancellationToken cancellationToken)
    {
        if (serve)
        {
            using var http = ServeClient.Create(settings, TimeSpan.FromMinutes(10));
            using var response = await http.PostAsJsonAsync(new Uri("/v1/forget", UriKind.Relative), request, ApiJsonContext.Default.ForgetRequestJson, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var error = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ErrorJson, cancellationToken).ConfigureAwait(false);
                throw new ArgumentException(error?.Detail ?? $"mnemo serve answered {(int)response.StatusCode}");
            }

            return (await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ForgetSelectionJson, cancellationToken).ConfigureAwait(false))!;
        }

        var engine = await context.OpenEngineAsync(cancellationToken).ConfigureAwait(false);
        return await MnemoApi.RunForgetAsync(engine, request, "cli", cancellationToken).ConfigureAwait(false);
    }

    private static void Print(ForgetSelectionJson preview, bool json)
    {
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(preview, ApiJsonContext.Default.ForgetSelectionJson));
            return;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{preview.Matched} memories match:"));
        foreach (var m in preview.Memories)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  m{m.Id}  {m.Timestamp?.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-",-16}  {m.Agent}/{m.Session}  {m.Role}: {m.Preview}"));
        }
    }
}
