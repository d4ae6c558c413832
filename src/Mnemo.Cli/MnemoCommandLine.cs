using System.CommandLine;
using Mnemo.Cli.Commands;

namespace Mnemo.Cli;

/// <summary>The <c>mnemo</c> command tree.</summary>
internal static class MnemoCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Mnemo: long-term memory and context retention for AI agents");
        root.Options.Add(CommonOptions.DataDir);
        root.Options.Add(CommonOptions.Json);
        root.Options.Add(CommonOptions.Verbose);
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(StatsCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(McpCommand.Create());
        root.Subcommands.Add(ScheduleCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(TranscribeCommand.Create());
        root.Subcommands.Add(VoiceCommand.Create());
        root.Subcommands.Add(BackupCommand.Create());
        root.Subcommands.Add(HealthCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(ForgetCommand.Create());
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(DigestsCommand.CreateDigests());
        root.Subcommands.Add(DigestsCommand.CreateSignals());
        root.Subcommands.Add(InitCommand.Create(root));
        return root;
    }

    /// <summary>Runs a command body, mapping failures to exit codes and clear messages on stderr.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<CliContext, Task<int>> body)
    {
        await using var context = new CliContext(parse);
        try
        {
            return await body(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("mnemo: cancelled").ConfigureAwait(false);
            return ExitCodes.SystemError;
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or System.Text.Json.JsonException or Mnemo.Voice.Audio.AudioFormatException)
        {
            await Console.Error.WriteLineAsync($"mnemo: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.UserError;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException or Mnemo.Voice.Transcription.TranscriptionException or HttpRequestException or Mnemo.Backups.BackupException)
        {
            await Console.Error.WriteLineAsync($"mnemo: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.SystemError;
        }
    }
}
