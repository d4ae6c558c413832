using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Mnemo.OpenClaw.Tests;

/// <summary>
/// Real OpenClaw 2026.9.6 (gateway, bridge plugin wired by <c>mnemo init --openclaw --apply</c>),
/// real <c>mnemo serve</c>, and a loopback fake standing in for the hosted model. Facts planted
/// early leave the context at a forced compaction; the next turn's model request must carry them
/// back through Mnemo. With Mnemo stopped, the agent must keep working.
/// </summary>
public sealed class CompactionRecoveryTests(ITestOutputHelper output)
{
    private const string Ticket = "INC-48213";

    [Fact]
    public async Task Compaction_FactsComeBackThroughMnemo_AndTheAgentSurvivesMnemoStopping()
    {
        var clock = Stopwatch.StartNew();
        var openClaw = await OpenClawInstall.EnsureAsync();
        var root = Directory.CreateTempSubdirectory("mnemo-e2e-");
        var home = Path.Combine(root.FullName, "home");
        var data = Path.Combine(root.FullName, "mnemo");
        var mnemoPort = OpenClawInstall.FreePort();
        var gatewayPort = OpenClawInstall.FreePort();
        await using var model = await FakeModelServer.StartAsync();
        Process? mnemo = null;
        Process? gateway = null;
        try
        {
            Harness.WriteOpenClawConfig(home, model.BaseAddress, gatewayPort);

            // The wiring a user gets: `mnemo init --openclaw --apply` runs OpenClaw's own CLI.
            await Harness.InitOpenClawAsync(openClaw, data, mnemoPort, home);
            var wired = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(home, ".openclaw", "openclaw.json")))!;
            Assert.Equal(true, (bool?)wired["plugins"]?["entries"]?["mnemo"]?["hooks"]?["allowConversationAccess"]);
            Assert.NotNull(wired["mcp"]?["servers"]?["mnemo"]?["command"]);
            // OpenClaw accepted the voice-note transcriber entry: `mnemo transcribe {{AttachmentPath}}`.
            var transcriber = wired["tools"]?["media"]?["models"]?[0];
            Assert.Equal("cli", (string?)transcriber?["type"]);
            Assert.Contains("transcribe", transcriber?["args"]?.AsArray().Select(a => (string?)a) ?? []);
            Step("wired OpenClaw with mnemo init", clock);

            // Digests go to the user through OpenClaw's own webhook; jobs run when the test says.
            (mnemo, var mnemoLog) = await Harness.StartServeAsync(data, mnemoPort, home, new Dictionary<string, string>
            {
                ["MNEMO_Delivery__OpenClaw__Url"] = $"http://127.0.0.1:{gatewayPort}/hooks/agent",
                ["MNEMO_Delivery__OpenClaw__Token"] = HookToken,
                ["MNEMO_Schedule__Enabled"] = "false",
            });
            using var http = Harness.Client(data, mnemoPort);

            gateway = await Harness.StartGatewayAsync(openClaw, home, gatewayPort);
            Step("mnemo serve and the OpenClaw gateway are up", clock);

            // Facts early, then enough small talk that they are not among the turns a summary keeps verbatim.
            await TurnAsync(openClaw, home, $"Hi! My support ticket is {Ticket} and the refund is $1,240.");
            await TurnAsync(openClaw, home, "Please always answer in metric units. I prefer short answers.");
            await TurnAsync(openClaw, home, "We decided to go with the Lisbon office for the offsite.");
            for (var i = 1; i <= 4; i++)
            {
                await TurnAsync(openClaw, home, $"Small talk {i}: tomatoes like a sunny spot in the garden.");
            }

            Step("seven turns", clock);

            var compact = await openClaw.RunAsync(home, TimeSpan.FromMinutes(2), "sessions", "compact", "agent:main:main", "--json");
            Assert.True(compact.ExitCode == 0, $"sessions compact failed: {compact.Stdout}\n{compact.Stderr}");
            var compactedAt = Stopwatch.StartNew();
            var compaction = await WaitForCompactionAsync(http, () => $"{compact.Stdout}\nmnemo serve said:\n{mnemoLog}\nOpenClaw log:\n{Harness.Tail(Path.Combine(home, "openclaw.log"))}");
            var seenAfter = compactedAt.Elapsed;
            Step("compaction", clock);

            // Mnemo recorded it: the transcript entry (summary, cut) merged with the plugin's report (session key).
            Assert.Contains(FakeModelServer.SummaryMarker, compaction.GetProperty("summary").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain(Ticket, compaction.GetProperty("summary").GetString(), StringComparison.Ordinal);
            Assert.True(compaction.GetProperty("tokensBefore").GetInt64() > 0);
            Assert.False(string.IsNullOrEmpty(compaction.GetProperty("entryId").GetString()));
            Assert.Equal("agent:main:main", compaction.GetProperty("sessionKey").GetString());
            var at = compaction.GetProperty("at").GetDateTimeOffset();
            var recordedAt = compaction.GetProperty("recordedAt").GetDateTimeOffset();
            output.WriteLine($"compaction at {at:O}; recorded by Mnemo {(recordedAt - at).TotalMilliseconds:F0} ms later; visible through the API {seenAfter.TotalMilliseconds:F0} ms after `sessions compact` returned");

            var before = model.TurnRequests.Count;
            await TurnAsync(openClaw, home, "What was my ticket number again, and how should you format answers?");
            var request = model.TurnRequests.Skip(before).Last();
            var text = FakeModelServer.AllText(request);
            var start = text.IndexOf("<mnemo_memory>", StringComparison.Ordinal);
            var end = text.IndexOf("</mnemo_memory>", StringComparison.Ordinal);
            Assert.True(start >= 0 && end > start, "the model request carries no <mnemo_memory> block");
            var injected = text[start..end];
            var rest = text[..start] + text[end..];
            Assert.Contains(Ticket, injected, StringComparison.Ordinal);
            Assert.Contains("metric units", injected, StringComparison.Ordinal);
            Assert.DoesNotContain(Ticket, rest, StringComparison.Ordinal);
            output.WriteLine("injected:\n" + injected);
            Step("turn after compaction carried the facts", clock);

            // The daily sync lands in OpenClaw's own workspace notes and reaches the user through
            // OpenClaw's /hooks/agent, which runs an agent turn that relays it.
            before = model.TurnRequests.Count;
            using (var sync = await http.PostAsync(new Uri("/v1/jobs/daily-sync/run", UriKind.Relative), null))
            {
                var body = await sync.Content.ReadAsStringAsync();
                Assert.True(sync.IsSuccessStatusCode, $"daily-sync: {body}\nmnemo serve said:\n{mnemoLog}");
                Assert.Contains("1 items delivered", body, StringComparison.Ordinal);
            }

            var workspace = Path.Combine(home, ".openclaw", "workspace");
            Assert.True(File.Exists(Path.Combine(workspace, "AGENTS.md")), "OpenClaw made no workspace where Mnemo looked");
            var note = await File.ReadAllTextAsync(Path.Combine(workspace, "memory", $"{DateTime.Now:yyyy-MM-dd}.md"));
            Assert.Contains("## Mnemo daily sync", note, StringComparison.Ordinal);
            Assert.Contains(Ticket, note, StringComparison.Ordinal);
            var relayed = await Harness.WaitForAsync(() => model.TurnRequests.Skip(before).Any(r => FakeModelServer.AllText(r).Contains("Mnemo has a daily update", StringComparison.Ordinal)), TimeSpan.FromMinutes(1));
            Assert.True(relayed, $"OpenClaw ran no agent turn for the delivered digest\nOpenClaw log:\n{Harness.Tail(Path.Combine(home, "openclaw.log"))}");
            Step("daily sync written to the workspace and delivered through /hooks/agent", clock);

            // Mnemo stops; the agent goes on (the plugin fails open).
            await OpenClawInstall.StopAsync(mnemo);
            before = model.TurnRequests.Count;
            var alone = await TurnAsync(openClaw, home, "Are you still there?");
            Assert.Contains("fake reply", alone, StringComparison.Ordinal);
            Assert.DoesNotContain("<mnemo_memory>", FakeModelServer.AllText(model.TurnRequests.Skip(before).Last()), StringComparison.Ordinal);
            Step("turn with Mnemo stopped", clock);

            // The whole run's logs: no token, no hook token, no memory text.
            Assert.Null(Harness.SecretInLogs(data, Harness.Token(data), HookToken, Ticket, "metric units", "Lisbon office"));
        }
        finally
        {
            await Harness.StopAndDeleteAsync(root, gateway, mnemo);
        }
    }

    private void Step(string what, Stopwatch clock) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {what}");

    private static async Task<string> TurnAsync(OpenClawInstall openClaw, string home, string message)
    {
        var (code, stdout, stderr) = await openClaw.RunAsync(home, TimeSpan.FromMinutes(3), "agent", "--agent", "main", "--message", message, "--json");
        Assert.True(code == 0, $"the turn '{message}' failed ({code}): {stdout}\n{stderr}");
        return stdout;
    }

    private static async Task<JsonElement> WaitForCompactionAsync(HttpClient http, Func<string> diagnostics)
    {
        var clock = Stopwatch.StartNew();
        var last = string.Empty;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var response = await http.GetAsync("/v1/compactions?agent=main");
            response.EnsureSuccessStatusCode();
            last = await response.Content.ReadAsStringAsync();
            var list = JsonDocument.Parse(last).RootElement.GetProperty("compactions");
            // The transcript entry gives the summary; the plugin's after_compaction report the session key.
            if (list.GetArrayLength() > 0 && list[0].TryGetProperty("summary", out _) && list[0].TryGetProperty("sessionKey", out _))
            {
                return list[0].Clone();
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Mnemo did not record the compaction within 30 s; last answer: {last}\n{diagnostics()}");
    }


    internal const string HookToken = "e2e-hook-token-0123456789";






}
