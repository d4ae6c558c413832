using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Mnemo.OpenClaw.Tests;

/// <summary>
/// A long session in real OpenClaw 2026.9.6 with the bridge plugin and a real <c>mnemo serve</c>:
/// 30 facts of different kinds (amounts, people, dates, decisions, preferences, plans,
/// identifiers), each its own user turn, planted before, between and after three forced
/// compactions, with small talk in between; then <c>/new</c> starts a fresh session, and questions
/// about the facts, asked in the user's own words, must each find the fact inside the
/// <c>&lt;mnemo_memory&gt;</c> block the plugin prepends to that turn's model request.
/// </summary>
public sealed class LongSessionRecallTests(ITestOutputHelper output)
{
    /// <summary>A planted fact: the user's message, the string that proves it came back, and a question about it (null: planted only).</summary>
    private sealed record Fact(string Message, string Key, string? Question);

    private const string SmallTalk = "small talk";

    // Phase 1: before the first compaction.
    private static readonly Fact[] BeforeFirst =
    [
        new("By the way, my gym locker code is 4471.", "4471", "What's the code for my locker at the gym?"),
        new("My landlord is called Petra Novak.", "Petra Novak", "Remind me, who is my landlord?"),
        new("The quote for the new roof came in at $18,350.", "18,350", "How much did the roofer quote us for the new roof?"),
        new("My sister Ingrid's birthday is on 14 March.", "14 March", null),
        new("We decided to move the team standup to 9:15 on Tuesdays.", "9:15", "What time is the team standup on Tuesdays now?"),
        new("I prefer aisle seats on long flights.", "aisle", "What kind of seat do I like on a long flight?"),
        new("Next month I'm going to start cello lessons.", "cello", null),
        new("My passport renewal order number is PX-77120.", "PX-77120", "What was the order number for renewing my passport?"),
    ];

    // Phase 2: between the first and the second compaction.
    private static readonly Fact[] BeforeSecond =
    [
        new("My dentist is Dr. Amara Okafor.", "Okafor", "What's my dentist called?"),
        new("The car insurance renewal costs 642 euros this year.", "642", "How much is the car insurance renewal this year?"),
        new("We decided to paint the nursery sage green.", "sage green", "What colour did we pick for the nursery walls?"),
        new("I prefer oat milk in my coffee.", "oat milk", "What milk do I take in my coffee?"),
        new("Next month I'm going to visit my grandmother in Gdansk.", "Gdansk", "Where am I going to see my grandmother next month?"),
        new("The bike shop gave me repair ticket BK-3309.", "BK-3309", "What's the ticket number for my bike repair?"),
        new("My manager is called Tomasz Wierzbicki.", "Wierzbicki", null),
    ];

    // Phase 3: between the second and the third compaction.
    private static readonly Fact[] BeforeThird =
    [
        new("Our wedding anniversary is on 22 August.", "22 August", "When is our wedding anniversary?"),
        new("The electricity bill last month was 87.40 dollars.", "87.40", "How much was last month's electricity bill?"),
        new("We decided to adopt the greyhound called Biscuit.", "Biscuit", "What's the name of the greyhound we're adopting?"),
        new("I prefer running early in the morning, before 7.", "before 7", null),
        new("Next month I'm going to run the half marathon in Porto.", "Porto", "Which city is the half marathon I'm running in?"),
        new("My library card number is 2208-5531.", "2208-5531", "What's my library card number?"),
        new("My accountant is Haruto Sato.", "Haruto Sato", null),
    ];

    // Phase 4: after the third compaction, still in the session that /new then ends.
    private static readonly Fact[] AfterThird =
    [
        new("The kitchen renovation has to be finished by 30 November.", "30 November", "By when does the kitchen renovation need to be done?"),
        new("We decided to switch our broadband to Fibrelink.", "Fibrelink", "Which broadband provider did we switch to?"),
        new("I prefer green tea over coffee in the afternoon.", "green tea", "What do I like to drink in the afternoon?"),
        new("The warranty claim for my laptop is WC-55812.", "WC-55812", "What's the warranty claim number for my laptop?"),
        new("My daughter's piano teacher is Mrs. Lindqvist.", "Lindqvist", "Who teaches my daughter piano?"),
        new("My monthly rent is 1,375 pounds.", "1,375", "How much rent do I pay each month?"),
        new("My flight to Reykjavik leaves on 3 February.", "3 February", null),
        new("My parking permit number is PP-60417.", "PP-60417", null),
    ];

    private static readonly string[] Chatter =
    [
        "The weather has been grey and drizzly all week, hasn't it.",
        "I watched a documentary about octopuses last night, they are clever animals.",
        "The tomatoes in the garden finally turned red.",
        "Traffic on the way home was slow again today.",
        "I tried a new sourdough recipe, the crust came out nicely.",
    ];

    [Fact]
    public async Task LongSession_ThreeCompactionsAndNew_FactsComeBackInsideMnemoMemory()
    {
        var clock = Stopwatch.StartNew();
        var openClaw = await OpenClawInstall.EnsureAsync();
        var root = Directory.CreateTempSubdirectory("mnemo-e2e-long-");
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
            await Harness.InitOpenClawAsync(openClaw, data, mnemoPort, home);

            (mnemo, var mnemoLog) = await Harness.StartServeAsync(data, mnemoPort, home, new Dictionary<string, string>
            {
                ["MNEMO_Schedule__Enabled"] = "false",
            });
            using var http = Harness.Client(data, mnemoPort);

            gateway = await Harness.StartGatewayAsync(openClaw, home, gatewayPort);
            Step("wired OpenClaw with mnemo init; mnemo serve and the gateway are up", clock);

            string Diagnostics() => $"mnemo serve said:\n{mnemoLog}\nOpenClaw log:\n{Harness.Tail(Path.Combine(home, "openclaw.log"))}";
            var compactions = await CountCompactionsAsync(http);
            var chatter = new Queue<string>(Chatter);
            var phases = new[] { BeforeFirst, BeforeSecond, BeforeThird, AfterThird };
            var planted = 0;
            string? sessionBefore = null;
            for (var phase = 0; phase < phases.Length; phase++)
            {
                var facts = phases[phase];
                for (var i = 0; i < facts.Length; i++)
                {
                    sessionBefore = SessionIdOf(await TurnAsync(openClaw, home, facts[i].Message));
                    planted++;
                    // Small talk amid the facts and at the end of each phase before a compaction, so
                    // that what a compaction keeps verbatim is mostly small talk.
                    if ((i == facts.Length / 2 && phase % 2 == 0) || (i == facts.Length - 1 && phase < phases.Length - 1))
                    {
                        await TurnAsync(openClaw, home, chatter.Dequeue());
                    }
                }

                Step($"phase {phase + 1}: {facts.Length} facts planted ({planted} in all)", clock);
                if (phase == phases.Length - 1)
                {
                    break;
                }

                var compact = await openClaw.RunAsync(home, TimeSpan.FromMinutes(2), "sessions", "compact", "agent:main:main", "--json");
                Assert.True(compact.ExitCode == 0, $"sessions compact #{phase + 1} failed: {compact.Stdout}\n{compact.Stderr}");
                compactions = await WaitForMoreCompactionsAsync(http, compactions, () => $"{compact.Stdout}\n{Diagnostics()}");
                Step($"compaction #{phase + 1} recorded by Mnemo ({compactions} recorded for agent main)", clock);
            }

            Assert.True(compactions >= 3, $"Mnemo recorded {compactions} compactions, expected at least 3");
            foreach (var record in (await CompactionsAsync(http)).AsEnumerable().Reverse())
            {
                output.WriteLine($"compaction record {record.GetProperty("id").GetInt64()}: entries {Seq(record, "fromSeq")}..{Seq(record, "toSeq")} left the context; summary {(record.TryGetProperty("summary", out _) ? "yes" : "no")}; sessionKey {(record.TryGetProperty("sessionKey", out var key) ? key.GetString() : "(none)")}");
            }

            var all = phases.SelectMany(p => p).ToList();
            Assert.True(all.Count >= 30, $"only {all.Count} facts planted");
            Assert.Equal(all.Count, all.Select(f => f.Key).Distinct(StringComparer.Ordinal).Count());

            // Mnemo has read the whole session from OpenClaw's store before the questions start.
            var ingested = await WaitForIngestedAsync(http, AfterThird[^1], TimeSpan.FromSeconds(60));
            Assert.True(ingested, $"Mnemo never stored the last planted fact ('{AfterThird[^1].Key}')\n{Diagnostics()}");
            Step("Mnemo holds the last planted fact", clock);

            // /new: a fresh session for agent:main:main. OpenClaw 2026.9.6 resets the main session in
            // place (a `reset` entry, reason "new"; the model's context starts empty).
            var beforeNew = DateTimeOffset.UtcNow;
            var requestsBeforeNew = model.TurnRequests.Count;
            var reset = await TurnAsync(openClaw, home, "/new");
            Assert.Contains("New session started", reset, StringComparison.Ordinal);
            Assert.Equal(requestsBeforeNew, model.TurnRequests.Count);
            var (sessionAfter, startedAt) = await MainSessionAsync(openClaw, home);
            output.WriteLine($"/new: session id before {sessionBefore}, after {sessionAfter} ({(sessionBefore == sessionAfter ? "the same id: reset in place" : "a new id")}); session started at {startedAt:O}, /new sent at {beforeNew:O}");
            Assert.True(startedAt >= beforeNew.AddSeconds(-1), $"the main session's sessionStartedAt ({startedAt:O}) did not move at /new ({beforeNew:O})");
            Step("/new started a fresh session", clock);

            // The questions, in an order that mixes the phases.
            var asked = all.Where(f => f.Question is not null).ToList();
            asked = [.. asked.Where((_, i) => i % 2 == 1), .. asked.Where((_, i) => i % 2 == 0)];
            Assert.True(asked.Count >= 20, $"only {asked.Count} questions");
            var misses = new List<string>();
            var missed = new HashSet<Fact>();
            var withoutBlock = 0;
            foreach (var fact in asked)
            {
                var before = model.TurnRequests.Count;
                var turnClock = Stopwatch.StartNew();
                await TurnAsync(openClaw, home, fact.Question!);
                var request = model.TurnRequests.Skip(before).Last();
                var text = FakeModelServer.AllText(request);
                var start = text.IndexOf(OpenTag, StringComparison.Ordinal);
                var end = text.IndexOf(CloseTag, StringComparison.Ordinal);
                var injected = start >= 0 && end > start ? text[(start + OpenTag.Length)..end] : null;
                var rest = injected is null ? text : text[..start] + text[(end + CloseTag.Length)..];

                // The premise: after /new the fact is nowhere in the model's context but Mnemo's block.
                Assert.False(rest.Contains(fact.Key, StringComparison.Ordinal), $"'{fact.Key}' is in the model request outside <mnemo_memory>: /new did not clear the context");
                var phase = Array.FindIndex(phases, p => p.Contains(fact)) + 1;
                if (injected is not null && injected.Contains(fact.Key, StringComparison.Ordinal))
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hit  (phase {phase}, turn {turnClock.Elapsed.TotalSeconds:F1} s) {fact.Question} -> '{fact.Key}'"));
                    continue;
                }

                missed.Add(fact);
                withoutBlock += injected is null ? 1 : 0;
                var searched = await SearchFindsAsync(http, fact);
                var withSession = await ContextHoldsAsync(http, fact, sessionAfter);
                var withoutSession = await ContextHoldsAsync(http, fact, null);
                misses.Add($"MISS (phase {phase}) {fact.Question} -> '{fact.Key}' not in <mnemo_memory>; {(injected is null ? "the request had no <mnemo_memory> block (plugin timeout or empty context)" : "the block held:\n" + injected.Trim())}\n  /v1/search for the question: {searched}\n  /v1/context for the question now: with this session id {withSession}; without a session id {withoutSession}");
                output.WriteLine(misses[^1]);
            }

            var hits = asked.Count - missed.Count;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"facts planted: {all.Count}; compactions recorded: {compactions}; questions after /new: {asked.Count}; found inside <mnemo_memory>: {hits} ({100.0 * hits / asked.Count:F1} %); misses: {misses.Count} ({withoutBlock} turns without a <mnemo_memory> block)"));
            foreach (var (phaseFacts, index) in phases.Select((p, i) => (p, i)))
            {
                var inPhase = asked.Where(phaseFacts.Contains).ToList();
                output.WriteLine($"  phase {index + 1}: {inPhase.Count(f => !missed.Contains(f))}/{inPhase.Count} found");
            }

            var recallFailures = File.Exists(Path.Combine(home, "openclaw.log"))
                ? File.ReadLines(Path.Combine(home, "openclaw.log")).Count(l => l.Contains("mnemo: recall failed", StringComparison.Ordinal))
                : 0;
            output.WriteLine($"OpenClaw log lines 'mnemo: recall failed' (the plugin's 1.5 s timeout or Mnemo unreachable; logged once per outage): {recallFailures}");
            Step("questions asked", clock);
            var needed = (int)Math.Ceiling(asked.Count * 0.95);
            Assert.True(hits >= needed, $"only {hits} of {asked.Count} asked facts were inside <mnemo_memory> (at least {needed}, 95 %, expected):\n{string.Join("\n", misses)}");
        }
        finally
        {
            await Harness.StopAndDeleteAsync(root, gateway, mnemo);
        }
    }

    private const string OpenTag = "<mnemo_memory>";
    private const string CloseTag = "</mnemo_memory>";

    private void Step(string what, Stopwatch clock) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {what}");

    private static async Task<string> TurnAsync(OpenClawInstall openClaw, string home, string message)
    {
        var (code, stdout, stderr) = await openClaw.RunAsync(home, TimeSpan.FromMinutes(3), "agent", "--agent", "main", "--message", message, "--json");
        Assert.True(code == 0, $"the turn '{message}' failed ({code}): {stdout}\n{stderr}");
        return stdout;
    }

    private static string? SessionIdOf(string turnJson) =>
        (string?)JsonNode.Parse(turnJson)?["result"]?["meta"]?["agentMeta"]?["sessionId"];

    /// <summary>The main session's id and start time, from <c>openclaw sessions list --json</c>.</summary>
    private static async Task<(string? Id, DateTimeOffset StartedAt)> MainSessionAsync(OpenClawInstall openClaw, string home)
    {
        var (code, stdout, stderr) = await openClaw.RunAsync(home, TimeSpan.FromMinutes(2), "sessions", "list", "--agent", "main", "--json");
        Assert.True(code == 0, $"sessions list failed ({code}): {stdout}\n{stderr}");
        var row = JsonNode.Parse(stdout)?["sessions"]?.AsArray().FirstOrDefault(s => (string?)s?["key"] == "agent:main:main");
        Assert.True(row is not null, $"sessions list has no agent:main:main: {stdout}");
        return ((string?)row["sessionId"], DateTimeOffset.FromUnixTimeMilliseconds((long?)row["sessionStartedAt"] ?? 0));
    }

    /// <summary>Mnemo's compaction records for agent main, newest first.</summary>
    private static async Task<List<JsonElement>> CompactionsAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/v1/compactions?agent=main&limit=100", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.GetProperty("compactions").EnumerateArray().Select(c => c.Clone())];
    }

    /// <summary>The compactions Mnemo recorded from the transcript (the entry with its summary and cut).</summary>
    private static async Task<int> CountCompactionsAsync(HttpClient http) =>
        (await CompactionsAsync(http)).Count(c => c.TryGetProperty("summary", out _));

    /// <summary>
    /// Waits until Mnemo has recorded one more compaction from the transcript, then a moment for the
    /// plugin's after_compaction report (the session key) to join it; a record left without it is logged.
    /// </summary>
    private async Task<int> WaitForMoreCompactionsAsync(HttpClient http, int before, Func<string> diagnostics)
    {
        var clock = Stopwatch.StartNew();
        var list = await CompactionsAsync(http);
        while (list.Count(c => c.TryGetProperty("summary", out _)) <= before)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"Mnemo's count of compactions recorded from the transcript stayed at {before} for 30 s after `sessions compact`; it lists: {JsonSerializer.Serialize(list)}\n{diagnostics()}");
            }

            await Task.Delay(100);
            list = await CompactionsAsync(http);
        }

        var keyed = Stopwatch.StartNew();
        while (!list[0].TryGetProperty("sessionKey", out _) && keyed.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100);
            list = await CompactionsAsync(http);
        }

        if (!list[0].TryGetProperty("sessionKey", out _))
        {
            output.WriteLine($"NOTE: Mnemo's newest compaction record has no sessionKey (the plugin's after_compaction report did not join it); all records: {JsonSerializer.Serialize(list.Select(c => new { id = c.GetProperty("id").GetInt64(), hasSummary = c.TryGetProperty("summary", out _), sessionKey = c.TryGetProperty("sessionKey", out var k) ? k.GetString() : null, at = c.GetProperty("at").GetString() }))}");
        }

        return list.Count(c => c.TryGetProperty("summary", out _));
    }

    private static string Seq(JsonElement record, string name) =>
        record.TryGetProperty(name, out var value) ? value.GetInt64().ToString(CultureInfo.InvariantCulture) : "?";

    private static async Task<bool> WaitForIngestedAsync(HttpClient http, Fact fact, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if ((await SearchAsync(http, fact.Message)).Any(t => t.Contains(fact.Key, StringComparison.Ordinal)))
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }

    /// <summary>For a miss: whether Mnemo's own search finds the fact for the question, and at which rank.</summary>
    private static async Task<string> SearchFindsAsync(HttpClient http, Fact fact)
    {
        var texts = await SearchAsync(http, fact.Question!);
        var rank = texts.FindIndex(t => t.Contains(fact.Key, StringComparison.Ordinal));
        return rank >= 0
            ? $"finds it at rank {(rank + 1).ToString(CultureInfo.InvariantCulture)} of {texts.Count.ToString(CultureInfo.InvariantCulture)} (so it was dropped after the search)"
            : $"does not find it in the top {texts.Count.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>For a miss: whether Mnemo's context for the question (as the plugin asks for it) holds the fact now.</summary>
    private static async Task<string> ContextHoldsAsync(HttpClient http, Fact fact, string? session)
    {
        var body = new JsonObject { ["agentId"] = "main", ["sessionKey"] = "agent:main:main", ["sessionId"] = session, ["prompt"] = fact.Question }.ToJsonString();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("/v1/context", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var text = document.RootElement.TryGetProperty("text", out var t) ? t.GetString() ?? string.Empty : string.Empty;
        return text.Contains(fact.Key, StringComparison.Ordinal) ? "holds it" : "does not hold it";
    }

    private static async Task<List<string>> SearchAsync(HttpClient http, string query)
    {
        var body = new JsonObject { ["query"] = query, ["agent"] = "main", ["k"] = 10 }.ToJsonString();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("/v1/search", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("memory").GetProperty("text").GetString() ?? string.Empty)];
    }
}
