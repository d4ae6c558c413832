using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Mnemo.Backups;
using Mnemo.Server.Hosting;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo backup create|verify &lt;file&gt;|restore &lt;file&gt;|list</c>. Create and verify work while
/// <c>mnemo serve</c> runs; restore refuses to, since it swaps the files serve has open.
/// </summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var backup = new Command("backup", "Back up, verify and restore the store and config");

        var create = new Command("create", "Make a backup now (online: Mnemo may keep running), then verify it");
        create.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var backups = Service(context);
            var made = await backups.CreateAsync("manual", cancellationToken).ConfigureAwait(false);
            var report = await backups.VerifyAsync(made.Path, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(Json(made with { VerifiedAt = BackupService.VerifiedAt(made.Path) }, report)));
            }
            else
            {
                Console.WriteLine($"{made.Path}");
                Console.WriteLine(Describe(made.Manifest, made.Bytes));
                Console.WriteLine(report.Ok ? "verified: it restores as made" : $"VERIFY FAILED: {string.Join("; ", report.Problems)}");
            }

            return report.Ok ? ExitCodes.Ok : ExitCodes.SystemError;
        }));

        var file = new Argument<string>("backup") { Description = "The backup file (.tar.gz)" };
        var verify = new Command("verify", "Unpack a backup into a temporary directory and check it: checksums, integrity, counts, a sample search") { file };
        verify.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var report = await Service(context).VerifyAsync(Path.GetFullPath(parse.GetValue(file)!), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(new BackupVerifyJson(report.Path, report.Ok, [.. report.Problems], report.Manifest?.CreatedAt, report.Manifest?.Counts.Memories)));
            }
            else if (report.Ok)
            {
                Console.WriteLine($"{report.Path}: OK");
                Console.WriteLine(Describe(report.Manifest!, new FileInfo(report.Path).Length));
            }
            else
            {
                Console.Error.WriteLine($"mnemo: {report.Path} failed verification:");
                foreach (var problem in report.Problems)
                {
                    Console.Error.WriteLine($"  - {problem}");
                }
            }

            return report.Ok ? ExitCodes.Ok : ExitCodes.UserError;
        }));

        var yes = new Option<bool>("--yes") { Description = "Do not ask for confirmation" };
        var restore = new Command("restore", "Verify a backup, then put it in place of the current store and config (kept aside)") { file, yes };
        restore.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var settings = MnemoSettings.Load(context.DataDirectory);
            if (await ServeClient.IsRunningAsync(settings, cancellationToken).ConfigureAwait(false))
            {
                Console.Error.WriteLine($"mnemo: mnemo serve is running on {ServeClient.LoopbackAddress(settings.Server.Urls)} with this data directory; stop it, then restore");
                return ExitCodes.UserError;
            }

            var path = Path.GetFullPath(parse.GetValue(file)!);
            if (!parse.GetValue(yes) && !Console.IsInputRedirected)
            {
                Console.Write($"Replace the store and config in {context.DataDirectory} with {path}? (the current ones are kept aside) [y/N] ");
                if (!string.Equals(Console.ReadLine()?.Trim(), "y", StringComparison.OrdinalIgnoreCase))
                {
                    Console.Error.WriteLine("mnemo: nothing restored");
                    return ExitCodes.UserError;
                }
            }

            var (report, aside) = await Service(context, settings).RestoreAsync(path, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"restored {path}");
            Console.WriteLine(Describe(report.Manifest!, new FileInfo(path).Length));
            Console.WriteLine($"the data it replaced is in {aside}");
            Console.WriteLine($"to undo: stop Mnemo, then: mv '{aside}'/* '{context.DataDirectory}'/ && rm -rf '{Path.Combine(context.DataDirectory, "index")}'");
            Console.WriteLine("the vector index is rebuilt from the restored store on the next start");
            return ExitCodes.Ok;
        }));

        var list = new Command("list", "The backups in the backup folder, newest first");
        list.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var backups = await Service(context).ListAsync(cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(backups.Select(b => Json(b, null)).ToList()));
                return ExitCodes.Ok;
            }

            foreach (var b in backups)
            {
                var verified = b.VerifiedAt is { } at ? $"verified {at.ToLocalTime():yyyy-MM-dd HH:mm}" : "not verified";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{b.Manifest.CreatedAt.ToLocalTime():yyyy-MM-dd HH:mm}  {b.Manifest.Kind,-7} {b.Bytes / 1048576.0,8:F1} MB  {b.Manifest.Counts.Memories,9} memories  {verified,-25} {b.Path}"));
            }

            if (backups.Count == 0)
            {
                Console.WriteLine("no backups yet; make one with 'mnemo backup create'");
            }

            return ExitCodes.Ok;
        }));

        backup.Subcommands.Add(create);
        backup.Subcommands.Add(verify);
        backup.Subcommands.Add(restore);
        backup.Subcommands.Add(list);
        return backup;
    }

    private static BackupService Service(CliContext context, MnemoSettings? settings = null)
    {
        settings ??= MnemoSettings.Load(context.DataDirectory);
        var shared = settings.Memory.Store.IsShared ? new Mnemo.Postgres.PostgresBackup(settings.Memory.Store.Connection!) : null;
        return new BackupService(context.DataDirectory, settings.Memory.Backup, TimeProvider.System, context.LoggerFactory.CreateLogger<BackupService>(), shared);
    }

    private static string Describe(BackupManifest manifest, long bytes) => string.Create(
        CultureInfo.InvariantCulture,
        $"{manifest.Kind} backup of {manifest.CreatedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss}: {manifest.Counts.Memories} memories in {manifest.Counts.Sessions} sessions, {manifest.Counts.Digests} digests, {manifest.Counts.Feedback} ratings; {bytes / 1048576.0:F1} MB");

    private static BackupJson Json(BackupInfo backup, BackupReport? report) => new(
        backup.Path, backup.Manifest.Kind, backup.Manifest.CreatedAt, backup.Bytes, backup.Manifest.Counts.Memories, backup.Manifest.Counts.Sessions,
        backup.Manifest.Counts.Digests, backup.Manifest.Counts.Feedback, backup.VerifiedAt, report is null ? null : [.. report.Problems]);
}

internal sealed record BackupJson(string Path, string Kind, DateTimeOffset CreatedAt, long Bytes, long Memories, long Sessions, long Digests, long Feedback, DateTimeOffset? VerifiedAt, List<string>? Problems);

internal sealed record BackupVerifyJson(string Path, bool Ok, List<string> Problems, DateTimeOffset? CreatedAt, long? Memories);
