using System.CommandLine;
using System.Globalization;
using Mnemo.Postgres;
using Mnemo.Server.Hosting;
using Mnemo.Storage;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo migrate --to postgres [connection]</c>: copies the data directory's memories into a
/// PostgreSQL database several nodes can share. Resumable (run it again after an interruption)
/// and verified (row counts compared). Without a connection argument, <c>Store:Connection</c>
/// (config.json or <c>MNEMO_Store__Connection</c>) is used, which keeps a password off the
/// command line.
/// </summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var to = new Option<string>("--to") { Description = "the kind of store to copy into: postgres", Required = true };
        var connection = new Argument<string?>("connection") { Description = "Npgsql connection string, e.g. Host=127.0.0.1;Database=mnemo;Username=mnemo (default: Store:Connection)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("migrate", "Copy the embedded store's memories into PostgreSQL (resumable, verified)") { to, connection };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            if (!string.Equals(parse.GetValue(to), StoreOptions.Postgres, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"--to: '{parse.GetValue(to)}' is not a store Mnemo can migrate to; use --to postgres");
            }

            var target = parse.GetValue(connection) ?? MnemoSettings.LoadStore(context.DataDirectory).Connection
                ?? throw new ArgumentException("give the PostgreSQL connection string as an argument, or set Store:Connection (MNEMO_Store__Connection)");
            var database = Path.Combine(context.DataDirectory, "mnemo.db");
            if (!File.Exists(database))
            {
                throw new ArgumentException($"there is no embedded store to migrate at {database}");
            }

            await using var source = await SqliteMemoryStore.OpenAsync(database, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            await using var shared = await PostgresMemoryStore.OpenAsync(target, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            var progress = new Progress<string>(line => { if (!context.Json) { Console.Error.WriteLine($"mnemo: {line}"); } });
            var report = await StoreMigrator.CopyAsync(source, shared, progress, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(new MigrateJson(shared.Location, report.Embeddings, report.Memories, report.AuditEvents, report.Cursors, report.Records, report.Verified, report.Mismatches)));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"copied {report.Memories} memories, {report.Embeddings} embeddings, {report.AuditEvents} audit events, {report.Cursors} cursors and {report.Records} records (digests, signals, feedback, jobs, ...) to {shared.Location}"));
                Console.WriteLine(report.Verified
                    ? "verified: the counts match. Set Store:Provider to postgres (and Store:Connection) on every node to use it."
                    : "NOT verified: " + string.Join("; ", report.Mismatches) + ". Run the same command again: it copies what an interrupted run left out. If the counts still differ after that, rows went missing from the target after they were copied; migrate into an empty database instead.");
            }

            return report.Verified ? ExitCodes.Ok : ExitCodes.SystemError;
        }));
        return command;
    }
}
