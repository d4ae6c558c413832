using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnemo.Server.Hosting;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo init [--openclaw [--apply] [--openclaw-command CMD]]</c>: creates the data directory and
/// the config with its token, and prints (or applies) the exact OpenClaw wiring: the bridge plugin,
/// its config, and the MCP server entry.
/// </summary>
internal static class InitCommand
{
    public const string PluginId = "mnemo";

    public static Command Create(RootCommand root)
    {
        var openClaw = new Option<bool>("--openclaw") { Description = "Also show the OpenClaw wiring (plugin, its config, MCP server)" };
        var apply = new Option<bool>("--apply") { Description = "Run the OpenClaw commands instead of only printing them" };
        var openClawCommand = new Option<string>("--openclaw-command")
        {
            Description = "How to run OpenClaw's CLI, split on spaces (default: openclaw)",
            DefaultValueFactory = _ => "openclaw",
        };
        var systemd = new Option<bool>("--systemd") { Description = "Also write a systemd user unit that runs mnemo serve and restarts it on failure" };
        var command = new Command("init", "Create the data directory and a documented config (with its API token), check the machine, show or apply the OpenClaw wiring") { openClaw, apply, openClawCommand, systemd };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var existed = File.Exists(ConfigFile.PathIn(context.DataDirectory));
            var settings = MnemoSettings.Load(context.DataDirectory);
            var url = LoopbackUrl(settings.Server.Urls);
            var wiring = parse.GetValue(openClaw) || parse.GetValue(apply)
                ? Wiring(context.DataDirectory, url, settings.Server.Token, hasTranscribe: root.Subcommands.Any(c => c.Name == "transcribe"))
                : [];
            if (context.Json)
            {
                var json = new JsonObject
                {
                    ["dataDirectory"] = context.DataDirectory,
                    ["config"] = ConfigFile.PathIn(context.DataDirectory),
                    ["url"] = url,
                    ["openclaw"] = new JsonArray([.. wiring.Select(w => (JsonNode)new JsonArray([.. w.Select(a => (JsonNode)JsonValue.Create(a))]))]),
                };
                Console.WriteLine(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                Console.WriteLine($"Mnemo data directory: {context.DataDirectory} (mode 0700)");
                Console.WriteLine($"Config: {ConfigFile.PathIn(context.DataDirectory)} ({(existed ? "kept" : "created, every setting documented in it")}; holds the API token, mode 0600)");
                Console.WriteLine();
                Console.WriteLine("This machine:");
                foreach (var line in MachineChecks(settings))
                {
                    Console.WriteLine("  " + line);
                }

                if (parse.GetValue(systemd))
                {
                    var unit = WriteSystemdUnit(context.DataDirectory);
                    Console.WriteLine();
                    Console.WriteLine($"systemd user unit: {unit}");
                    Console.WriteLine("  enable it: systemctl --user daemon-reload && systemctl --user enable --now mnemo.service");
                    Console.WriteLine("  keep it running while you are logged out: loginctl enable-linger $USER");
                }

                Console.WriteLine();
                var health = await HealthCommand.ReportAsync(context, settings, cancellationToken).ConfigureAwait(false);
                foreach (var line in MnemoHealth.ToLines(health))
                {
                    Console.WriteLine(line);
                }

                Console.WriteLine();
                Console.WriteLine("Next steps:");
                Console.WriteLine($"  1. mnemo serve{(parse.GetValue(systemd) ? " (or the systemd unit above)" : string.Empty)}   listens on {url}");
                Console.WriteLine("  2. mnemo init --openclaw --apply   wires OpenClaw to Mnemo (bridge plugin, MCP tools, voice notes)");
                Console.WriteLine("  3. mnemo backup create   then set Backup:Directory to another disk in the config");
                Console.WriteLine("  4. mnemo health   any time; exit 0 healthy, 2 degraded, 1 unhealthy");
                if (wiring.Count > 0)
                {
                    Console.WriteLine();
                    Console.WriteLine("OpenClaw wiring (run these, or `mnemo init --openclaw --apply`):");
                    foreach (var arguments in wiring)
                    {
                        Console.WriteLine("  openclaw " + string.Join(' ', arguments.Select(Quote)));
                    }

                    if (!root.Subcommands.Any(c => c.Name == "transcribe"))
                    {
                        Console.WriteLine("  # voice notes: this build has no `mnemo transcribe` yet, so no transcriber is wired");
                    }
                }
            }

            if (!parse.GetValue(apply))
            {
                return ExitCodes.Ok;
            }

            var prefix = parse.GetValue(openClawCommand)!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var arguments in wiring)
            {
                var (exitCode, output) = await RunAsync(prefix, arguments, cancellationToken).ConfigureAwait(false);
                if (exitCode != 0)
                {
                    await Console.Error.WriteLineAsync($"mnemo: `openclaw {arguments[0]} {arguments[1]}` failed with exit code {exitCode}:\n{output.Trim()}").ConfigureAwait(false);
                    return ExitCodes.SystemError;
                }

                await Console.Error.WriteLineAsync($"mnemo: applied `openclaw {string.Join(' ', arguments.Take(3))}`").ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("mnemo: OpenClaw is wired; restart its gateway if it is running, and start `mnemo serve`.").ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>What init checks of the machine: OpenClaw, disk, the voice model.</summary>
    private static IEnumerable<string> MachineChecks(MnemoSettings settings)
    {
        var openClaw = settings.OpenClaw.ResolveStateDirectory();
        var agents = Path.Combine(openClaw, "agents");
        yield return Directory.Exists(openClaw)
            ? $"OpenClaw: found at {openClaw} ({(Directory.Exists(agents) ? Directory.GetDirectories(agents).Length : 0)} agents)"
            : $"OpenClaw: not found at {openClaw}; Mnemo follows it once it is there (or set OpenClaw:StateDirectory)";
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var cli = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "openclaw")).FirstOrDefault(File.Exists);
        yield return cli is null ? "openclaw command: not on PATH (--openclaw-command tells init how to run it)" : $"openclaw command: {cli}";
        var free = new DriveInfo(settings.Memory.DataDirectory).AvailableFreeSpace / 1048576;
        yield return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"disk: {free} MB free for the data directory");
        var model = settings.Voice.ResolveModelPath(settings.Memory.DataDirectory);
        yield return File.Exists(model)
            ? $"voice: Whisper model {model}"
            : $"voice: no Whisper model at {model}; get one with `mnemo voice models pull base` (or set Voice:Engine to openai)";
    }

    /// <summary>Writes <c>~/.config/systemd/user/mnemo.service</c> (or under <c>$XDG_CONFIG_HOME</c>) for this mnemo and data directory.</summary>
    internal static string WriteSystemdUnit(string dataDirectory)
    {
        var config = System.Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".config");
        var directory = Path.Combine(config, "systemd", "user");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "mnemo.service");
        File.WriteAllText(path, $"""
            # Written by `mnemo init --systemd`. Enable: systemctl --user daemon-reload && systemctl --user enable --now mnemo.service
            [Unit]
            Description=Mnemo, long-term memory for AI agents
            After=network-online.target

            [Service]
            Type=simple
            ExecStart={ScheduleCommand.MnemoInvocation(dataDirectory)} serve
            Restart=on-failure
            RestartSec=5
            # Time for the vector index to be saved on stop.
            TimeoutStopSec=30
            Environment=DOTNET_CLI_TELEMETRY_OPTOUT=1

            [Install]
            WantedBy=default.target

            """);
        return path;
    }

    /// <summary>The OpenClaw CLI calls (without the program name) that wire Mnemo in.</summary>
    internal static List<string[]> Wiring(string dataDirectory, string url, string token, bool hasTranscribe)
    {
        var mnemo = MnemoInvocation();
        var pluginConfig = new JsonObject { ["url"] = url, ["token"] = token };
        var mcp = new JsonObject
        {
            ["command"] = mnemo[0],
            ["args"] = new JsonArray([.. mnemo.Skip(1).Concat(["mcp", "--data-dir", dataDirectory]).Select(a => (JsonNode)JsonValue.Create(a))]),
        };
        var wiring = new List<string[]>
        {
            new[] { "plugins", "install", "--link", PluginDirectory(), "--force", "--accept-capabilities" },
            new[] { "config", "set", $"plugins.entries.{PluginId}.hooks.allowConversationAccess", "true" },
            new[] { "config", "set", $"plugins.entries.{PluginId}.config", pluginConfig.ToJsonString(), "--strict-json" },
            new[] { "config", "set", "mcp.servers.mnemo", mcp.ToJsonString(), "--strict-json" },

            // OpenClaw 2026.9.6 links a plugin disabled; enabling it is an explicit step.
            new[] { "plugins", "enable", PluginId },
        };
        if (hasTranscribe)
        {
            var transcriber = new JsonArray(new JsonObject
            {
                ["type"] = "cli",
                ["command"] = mnemo[0],
                ["args"] = new JsonArray([.. mnemo.Skip(1).Concat(["transcribe", "{{AttachmentPath}}", "--data-dir", dataDirectory]).Select(a => (JsonNode)JsonValue.Create(a))]),
                ["capabilities"] = new JsonArray("audio"),
            });
            wiring.Add(["config", "set", "tools.media.models", transcriber.ToJsonString(), "--strict-json"]);
        }

        return wiring;
    }

    /// <summary>The bridge plugin shipped beside this program (copied there at build time).</summary>
    internal static string PluginDirectory()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "openclaw-plugin");
        return File.Exists(Path.Combine(directory, "openclaw.plugin.json"))
            ? directory
            : throw new FileNotFoundException($"the OpenClaw bridge plugin is missing from {directory}; rebuild Mnemo");
    }

    /// <summary>How OpenClaw should start this very mnemo: the app host, or dotnet with the dll.</summary>
    private static string[] MnemoInvocation()
    {
        var process = Environment.ProcessPath ?? "mnemo";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, typeof(InitCommand).Assembly.Location]
            : [process];
    }

    private static string LoopbackUrl(string urls) => ServeClient.LoopbackAddress(urls).ToString().TrimEnd('/');

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=@".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task<(int ExitCode, string Output)> RunAsync(string[] prefix, string[] arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(prefix[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in prefix.Skip(1).Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {prefix[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }
}
