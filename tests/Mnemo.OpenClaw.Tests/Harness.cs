using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnemo.OpenClaw.Tests;

/// <summary>What the end-to-end tests share: starting mnemo, reading its token and output, OpenClaw's config.</summary>
internal static class Harness
{
    internal static string Tail(string path) =>
        File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(40)) : "(no log)";

    internal static void DrainInBackground(Process process)
    {
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
    }

    internal static ProcessStartInfo MnemoStartInfo(string data, int port, string home, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(OpenClawInstall.MnemoDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(data);
        info.Environment["MNEMO_Server__Urls"] = $"http://127.0.0.1:{port}";
        OpenClawInstall.Isolate(info, home);
        return info;
    }

    internal static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(200);
        }

        return true;
    }

    internal static string Token(string data) =>
        Auth(data, "Token");

    /// <summary>A secret from the data directory's config.json (JSON with comments, as mnemo init writes it).</summary>
    internal static string Auth(string data, string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(data, "config.json")), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!["Auth"]![name]!.GetValue<string>();

    /// <summary>Reads a process's output as it comes (a full pipe would stall it) and keeps it for diagnostics.</summary>
    internal static System.Text.StringBuilder Capture(Process process)
    {
        var log = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return log;
    }

    internal static void WriteOpenClawConfig(string home, Uri model, int gatewayPort, JsonObject? telegram = null)
    {
        var config = new JsonObject
        {
            ["agents"] = new JsonObject
            {
                ["defaults"] = new JsonObject
                {
                    ["model"] = new JsonObject { ["primary"] = "fake/fake-model" },
                    ["compaction"] = new JsonObject { ["keepRecentTokens"] = 200 },
                }
            },
            ["models"] = new JsonObject
            {
                ["mode"] = "merge",
                ["providers"] = new JsonObject
                {
                    ["fake"] = new JsonObject
                    {
                        ["baseUrl"] = new Uri(model, "/v1").ToString(),
                        ["apiKey"] = "sk-local",
                        ["api"] = "openai-completions",
                        ["models"] = new JsonArray(new JsonObject
                        {
                            ["id"] = "fake-model",
                            ["name"] = "Fake",
                            ["reasoning"] = false,
                            ["input"] = new JsonArray("text"),
                            ["cost"] = new JsonObject { ["input"] = 0, ["output"] = 0, ["cacheRead"] = 0, ["cacheWrite"] = 0 },
                            ["contextWindow"] = 128000,
                            ["maxTokens"] = 4096,
                        }),
                    }
                },
            },
            ["gateway"] = new JsonObject
            {
                ["mode"] = "local",
                ["bind"] = "loopback",
                ["port"] = gatewayPort,
                ["auth"] = new JsonObject { ["mode"] = "token", ["token"] = "e2e-gateway-token-0123456789" },
            },
            ["discovery"] = new JsonObject { ["mdns"] = new JsonObject { ["mode"] = "off" } },
            ["hooks"] = new JsonObject { ["enabled"] = true, ["token"] = CompactionRecoveryTests.HookToken, ["path"] = "/hooks" },
            ["logging"] = new JsonObject { ["file"] = Path.Combine(home, "openclaw.log") },
        };
        if (telegram is not null)
        {
            config["channels"] = new JsonObject { ["telegram"] = telegram };
        }

        Directory.CreateDirectory(Path.Combine(home, ".openclaw"));
        File.WriteAllText(Path.Combine(home, ".openclaw", "openclaw.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Mnemo's log files of the run must not hold any secret or memory text: returns the first one
    /// found (and the file), or null. Information level is what a user runs with.
    /// </summary>
    internal static string? SecretInLogs(string dataDirectory, params string[] secrets)
    {
        var logs = Path.Combine(dataDirectory, "logs");
        if (!Directory.Exists(logs))
        {
            return "no log files were written";
        }

        foreach (var file in Directory.GetFiles(logs))
        {
            var text = File.ReadAllText(file);
            if (secrets.FirstOrDefault(s => text.Contains(s, StringComparison.Ordinal)) is { } found)
            {
                // Which message leaked it: the line, from its level on (xUnit cuts long values), the secret masked.
                var line = text.Split('\n').First(l => l.Contains(found, StringComparison.Ordinal)).Replace(found, "<secret>", StringComparison.Ordinal);
                var level = line.IndexOf(" [", StringComparison.Ordinal);
                return $"{Path.GetFileName(file)}:{(level >= 0 ? line[level..] : line)}";
            }
        }

        return null;
    }

    /// <summary>Stops the processes a test started (gateway first, then mnemo) and deletes its folder.</summary>
    /// <summary>The wiring a user gets: <c>mnemo init --openclaw --apply</c> runs OpenClaw's own CLI; fails the test when it fails.</summary>
    internal static async Task InitOpenClawAsync(OpenClawInstall openClaw, string data, int mnemoPort, string home)
    {
        var init = MnemoStartInfo(data, mnemoPort, home, "init", "--openclaw", "--apply", "--openclaw-command", $"{openClaw.Node} {openClaw.Entry}");
        init.Environment["PATH"] = Path.GetDirectoryName(openClaw.Node) + ":" + Environment.GetEnvironmentVariable("PATH");
        var (code, stdout, stderr) = await OpenClawInstall.RunAsync(init, TimeSpan.FromMinutes(4));
        Xunit.Assert.True(code == 0, $"mnemo init --openclaw --apply failed: {stdout}\n{stderr}");
    }

    /// <summary>Starts <c>mnemo serve</c> on the OpenClaw home and waits for its port; its output is kept for diagnostics.</summary>
    internal static async Task<(Process Process, System.Text.StringBuilder Log)> StartServeAsync(string data, int port, string home, IReadOnlyDictionary<string, string> environment)
    {
        var serve = MnemoStartInfo(data, port, home, "serve", "--openclaw-dir", Path.Combine(home, ".openclaw"));
        foreach (var (name, value) in environment)
        {
            serve.Environment[name] = value;
        }

        var process = Process.Start(serve)!;
        var log = Capture(process);
        try
        {
            await OpenClawInstall.WaitForPortAsync(port, process, TimeSpan.FromMinutes(1));
        }
        catch
        {
            await OpenClawInstall.StopAsync(process);
            throw;
        }

        return (process, log);
    }

    /// <summary>A client of the started serve, with its API token.</summary>
    internal static HttpClient Client(string data, int port)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token(data));
        return http;
    }

    /// <summary>OpenClaw's gateway on loopback, ready for turns.</summary>
    internal static async Task<Process> StartGatewayAsync(OpenClawInstall openClaw, string home, int port)
    {
        var gateway = Process.Start(openClaw.StartInfo(home, "gateway", "run", "--bind", "loopback", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)))!;
        DrainInBackground(gateway);
        try
        {
            await OpenClawInstall.WaitForPortAsync(port, gateway, TimeSpan.FromMinutes(2));
        }
        catch
        {
            await OpenClawInstall.StopAsync(gateway);
            throw;
        }

        return gateway;
    }

    internal static async Task StopAndDeleteAsync(DirectoryInfo root, params Process?[] processes)
    {
        foreach (var process in processes.OfType<Process>())
        {
            await OpenClawInstall.StopAsync(process);
        }

        root.Delete(recursive: true);
    }
}
