using System.CommandLine;
using System.Globalization;
using Mnemo.Search;
using Mnemo.Storage;

namespace Mnemo.Cli.Commands;

/// <summary><c>mnemo search "query" [-k 10] [--agent] [--session] [--role] [--since] [--until] [--json]</c></summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string>("query") { Description = "What to look for, in plain words" };
        var k = new Option<int>("-k", "--k") { Description = "Number of hits", DefaultValueFactory = _ => 10 };
        k.Validators.Add(r =>
        {
            if (SearchRequest.CheckK(r.GetValueOrDefault<int>()) is { } problem)
            {
                r.AddError("-k: " + problem);
            }
        });
        var agent = new Option<string?>("--agent") { Description = "Only this agent" };
        var session = new Option<string?>("--session") { Description = "Only this session" };
        var role = new Option<string?>("--role") { Description = "Only this role (user, assistant, tool, ...)" };
        var source = new Option<string?>("--source") { Description = "Only memories read from this file or database" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only memories at or after this time (ISO 8601)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Only memories before this time (ISO 8601)" };
        var diverse = new Option<bool>("--diverse") { Description = "Prefer varied hits over near-duplicates (MMR)" };
        var recent = new Option<bool>("--recent") { Description = "Break ties in favour of recent memories" };
        var command = new Command("search", "Search memory: hybrid vector + BM25 ranking") { query, k, agent, session, role, source, since, until, diverse, recent };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var text = parse.GetValue(query);
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new ArgumentException("the search query is empty");
            }

            var engine = await context.OpenEngineAsync(cancellationToken).ConfigureAwait(false);
            var filter = new MemoryFilter(parse.GetValue(agent), parse.GetValue(session), parse.GetValue(role), parse.GetValue(source), parse.GetValue(since), parse.GetValue(until));
            var hits = await engine.SearchAsync(new SearchRequest(text, parse.GetValue(k), filter, parse.GetValue(diverse), parse.GetValue(recent)), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(hits.Select(CliJson.ToJson).ToList()));
                return ExitCodes.Ok;
            }

            if (hits.Count == 0)
            {
                Console.WriteLine("no matches");
            }

            var rank = 0;
            foreach (var hit in hits)
            {
                var m = hit.Memory;
                var time = m.Timestamp?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "undated";
                var who = m.Speaker ?? m.Role;
                Console.WriteLine(FormattableString.Invariant($"{++rank,2}. [{hit.Score:F3}] {time}  agent={m.Agent}  session={m.Session}  {who}{(m.Untrusted ? " (untrusted)" : string.Empty)}"));
                Console.WriteLine($"    {hit.Snippet}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
