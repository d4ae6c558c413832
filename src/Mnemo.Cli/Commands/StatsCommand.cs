using System.CommandLine;
using System.Globalization;

namespace Mnemo.Cli.Commands;

/// <summary><c>mnemo stats [--json]</c></summary>
internal static class StatsCommand
{
    public static Command Create()
    {
        var command = new Command("stats", "Counts of what memory holds");
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var engine = await context.OpenEngineAsync(cancellationToken).ConfigureAwait(false);
            var s = await engine.GetStatsAsync(cancellationToken).ConfigureAwait(false);
            var json = new StatsJson(s.Memories, s.Sessions, s.Agents, s.Sources, s.Embeddings, s.AuditEvents, s.Oldest, s.Newest, s.DatabaseBytes, s.EmbeddingModel,
                engine.Index.Index.Kind, engine.Index.Index.Count, context.DataDirectory);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(json));
                return ExitCodes.Ok;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                data directory  {json.DataDirectory}
                memories        {json.Memories}
                sessions        {json.Sessions}
                agents          {json.Agents}
                sources         {json.Sources}
                embeddings      {json.Embeddings} ({json.EmbeddingModel ?? "none yet"})
                vector index    {json.IndexKind}, {json.IndexVectors} vectors
                audit events    {json.AuditEvents}
                oldest / newest {json.Oldest?.ToString("u", CultureInfo.InvariantCulture) ?? "-"} / {json.Newest?.ToString("u", CultureInfo.InvariantCulture) ?? "-"}
                database size   {json.DatabaseBytes / 1024.0 / 1024.0:F1} MiB
                """));
            return ExitCodes.Ok;
        }));
        return command;
    }
}
