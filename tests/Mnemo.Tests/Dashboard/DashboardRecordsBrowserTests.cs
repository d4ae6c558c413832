using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mnemo.Digests;
using Mnemo.Domain;
using Mnemo.Scheduling;
using Mnemo.Signals;
using Mnemo.Tests.Support;
using Mnemo.Voice.Queue;
using Mnemo.Voice.Transcription;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Mnemo.Tests.Dashboard;

/// <summary>
/// What the dashboard shows of what Mnemo derived, in a real headless Chromium: an agent's
/// timeline (a compaction with what was brought back, a digest, a voice note, a signal), digests
/// and signals with their votes, a digest's three passes side by side, the status page (health,
/// jobs, voice queue, run a job now), the overview's charts, and the search filters with each
/// hit's provenance. Everything is seeded through the real engine, API and services: a model
/// speaking OpenAI's protocol on loopback writes the digest in three passes, a scripted
/// transcriber (the test whisper model has no weights) turns a real recording into a voice note.
/// The clock is fixed, so hours, weeks and the job schedule are known.
/// </summary>
[Collection(EmbedderGroup.Name)]
public sealed class DashboardRecordsBrowserTests(EmbedderFixture embedder) : IAsyncLifetime, IDisposable
{
    private const string HomeNotes = "/home/ana/.openclaw/agents/home/sessions/kitchen.jsonl";
    private const string PhoneNotes = "/home/ana/notes/phone-notes.jsonl";
    private const string VoiceWords = "Remember to buy seeds for the balcony planter";
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 40, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Nine = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(Now);
    private FakeChatServer? _model;
    private TestServer? _server;
    private DashboardBrowser? _dashboard;
    private Digest? _digest;
    private Signal? _signal;
    private VoiceJob? _note;

    private TestServer Server => _server!;

    private DashboardBrowser Dashboard => _dashboard!;

    private ChromeDriver Browser => Dashboard.Driver;

    private MemoryEngine Engine => Server.Services.GetRequiredService<MemoryEngine>();

    private Automation Automation => Server.Services.GetRequiredService<Automation>();

    public async Task InitializeAsync()
    {
        _model = await FakeChatServer.StartAsync();
        _server = await TestServer.StartAsync(
            _dir.File("data"),
            embedder,
            new Dictionary<string, string?>
            {
                ["Model:Provider"] = "openai",
                ["Model:Endpoint"] = _model.OpenAiEndpoint,
                ["Model:Model"] = "fake-model",
                ["Model:ApiKey"] = "sk-test",
                // The schedule is on (so jobs have a next run) but the fixed clock never reaches it.
                ["Schedule:Enabled"] = "true",
                ["Schedule:TimeZone"] = "UTC",
                // Notices of what was brought back after a compaction are kept.
                ["Digests:Deliver:0"] = "context",
            },
            _time,
            services => services.AddSingleton<Func<ITranscriber>>(() => new ScriptedTranscriber(_ => VoiceWords)));
        await SeedAsync();
        _dashboard = DashboardBrowser.Start(Server, _dir.File("chromium-profile"));
    }

    public async Task DisposeAsync()
    {
        _dashboard?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_model is not null)
        {
            await _model.DisposeAsync();
        }
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Timeline_OfAnAgent_ShowsTheCompactionWithWhatWasRetained_AndItsDigestVoiceNoteAndSignal()
    {
        Dashboard.LogIn("/timeline?agent=home");

        Assert.Equal("/timeline", Dashboard.Path);
        var sessions = Section("Sessions").Text;
        Assert.Contains("kitchen", sessions, StringComparison.Ordinal);
        Assert.Contains("voice-notes", sessions, StringComparison.Ordinal);
        Assert.DoesNotContain("standup", sessions, StringComparison.Ordinal);

        var compaction = Assert.Single(Section("Compactions").FindElements(By.CssSelector("tbody tr")));
        Assert.Contains("15,000 → 2,100", compaction.Text, StringComparison.Ordinal);
        var retained = compaction.FindElement(By.CssSelector(".pre")).Text;
        Assert.Contains("Mnemo brought back", retained, StringComparison.Ordinal);
        Assert.Contains("sage green", retained, StringComparison.Ordinal);

        var digest = Assert.Single(Section("Digests").FindElements(By.TagName("a")));
        Assert.Equal($"/digests/{_digest!.Id}", digest.GetDomAttribute("href"));
        Assert.Contains("2026-11-25 09:00", digest.Text, StringComparison.Ordinal);

        var note = Assert.Single(Section("Voice notes").FindElements(By.TagName("li")));
        Assert.Contains("balcony-note.wav", note.Text, StringComparison.Ordinal);
        Assert.Contains("done", note.Text, StringComparison.Ordinal);
        Assert.Equal($"/memories/{_note!.MemoryId}", note.FindElement(By.TagName("a")).GetDomAttribute("href"));

        var signal = Assert.Single(Section("Signals").FindElements(By.TagName("li")));
        Assert.Contains(_signal!.Title, signal.Text, StringComparison.Ordinal);
        Dashboard.Screenshot("timeline-records");

        // Another agent's timeline has none of it.
        Dashboard.GoTo("/timeline?agent=work");
        Assert.Empty(Section("Compactions").FindElements(By.CssSelector("tbody tr")));
        Assert.Empty(Section("Voice notes").FindElements(By.TagName("li")));
        Assert.DoesNotContain(Section("Digests").FindElements(By.TagName("a")), a => a.GetDomAttribute("href") == $"/digests/{_digest.Id}");
    }

    [Fact]
    public async Task Digests_ShowTheirVotes_AndADigestItsThreePassesSideBySide()
    {
        Dashboard.LogIn("/digests");

        var row = Browser.FindElement(By.XPath($"//a[@href='/digests/{_digest!.Id}']/ancestor::tr"));
        Assert.Contains("three-pass", row.Text, StringComparison.Ordinal);
        Assert.Contains("👍 2 · 👎 1", row.Text, StringComparison.Ordinal);
        var signal = Browser.FindElement(By.XPath($"//td[contains(., '{_signal!.Title}')]/ancestor::tr"));
        Assert.Contains("👍 1 · 👎 1", signal.Text, StringComparison.Ordinal);
        var work = (await new DigestStore(Engine.Records).LatestAsync(null, "work", 5, CancellationToken.None)).Single();
        Assert.Contains("no votes", Browser.FindElement(By.XPath($"//a[@href='/digests/{work.Id}']/ancestor::tr")).Text, StringComparison.Ordinal);
        Dashboard.Screenshot("digests-votes");

        row.FindElement(By.TagName("a")).Click();
        Browser.FindElement(By.CssSelector(".passes"));
        Assert.Equal($"/digests/{_digest.Id}", Dashboard.Path);
        Assert.Contains("👍 2 · 👎 1", Browser.FindElement(By.CssSelector("p.meta")).Text, StringComparison.Ordinal);
        var run = (await Automation.PromptRuns.GetAsync(_digest.PromptRunId!.Value, CancellationToken.None))!;
        var passes = Browser.FindElements(By.CssSelector(".passes section"));
        Assert.Equal(["Draft", "Critique", "Refined"], passes.Select(p => p.FindElement(By.TagName("h3")).Text));
        Assert.Equal([run.Draft!.Trim(), run.Critique!.Trim(), run.Refined!.Trim()], passes.Select(p => p.FindElement(By.CssSelector(".pre")).Text.Trim()));
        Assert.NotEqual(run.Draft, run.Refined);

        // Side by side on a wide window: one row, left to right.
        Assert.Single(passes.Select(p => p.Location.Y).Distinct());
        Assert.True(passes[0].Location.X < passes[1].Location.X && passes[1].Location.X < passes[2].Location.X);
        Dashboard.Screenshot("digest-three-passes");

        // On a phone they stack.
        Browser.Manage().Window.Size = new System.Drawing.Size(390, 844);
        passes = Browser.FindElements(By.CssSelector(".passes section"));
        Assert.True(passes[0].Location.Y < passes[1].Location.Y && passes[1].Location.Y < passes[2].Location.Y);
    }

    [Fact]
    public async Task Status_ShowsHealthJobsAndTheVoiceQueue_AndRunNowRunsTheJobAndRecordsIt()
    {
        using var health = await Server.Client.GetAsync(new Uri("/health", UriKind.Relative));
        var checks = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString()!);
        Dashboard.LogIn("/status");

        var shown = Section("Health", "table").FindElements(By.CssSelector("tbody tr"))
            .ToDictionary(r => r.FindElements(By.TagName("td"))[0].Text, r => r.FindElements(By.TagName("td"))[1].Text);
        Assert.True(checks.Count >= 8, string.Join(", ", checks.Keys));
        Assert.Equal(checks.OrderBy(c => c.Key, StringComparer.Ordinal), shown.OrderBy(c => c.Key, StringComparer.Ordinal));

        var signals = JobRow("signals");
        Assert.StartsWith("—", signals[2].Text, StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$", signals[3].Text);
        var next = signals[3].Text;
        Assert.Contains("0 queued · 0 running · 1 done · 0 failed", Section("Voice queue", "p").Text, StringComparison.Ordinal);
        var note = Browser.FindElement(By.XPath("//td[. = 'balcony-note.wav']/ancestor::tr"));
        Assert.Contains("done", note.Text, StringComparison.Ordinal);
        Assert.Contains("home", note.Text, StringComparison.Ordinal);

        signals[4].FindElement(By.TagName("button")).Click();

        Assert.Equal("/status", Dashboard.Path);
        Assert.StartsWith("signals ran: ", Browser.FindElement(By.CssSelector(".notice")).Text, StringComparison.Ordinal);
        signals = JobRow("signals");
        Assert.StartsWith("2026-11-25 10:40 UTC succeeded", signals[2].Text, StringComparison.Ordinal);
        Assert.Equal(next, signals[3].Text);
        var history = await new JobStore(Engine.Records).GetRunsAsync("signals", 10, CancellationToken.None);
        var ran = Assert.Single(history);
        Assert.Equal(JobTrigger.Manual, ran.Trigger);
        Assert.True(ran.Succeeded);
        Assert.Contains(ran.Detail, Browser.FindElement(By.CssSelector(".notice")).Text, StringComparison.Ordinal);
        Dashboard.Screenshot("status-ran");
    }

    [Fact]
    public async Task Overview_DrawsApprovalPerWeekAndCompactionsPerDay_AndContextLatencyOnceContextWasAsked()
    {
        Dashboard.LogIn("/");
        Assert.Single(Chart("Context latency").FindElements(By.CssSelector("circle.dot")));

        // Two of three votes on the digest are up, one of two on the signal: 3 of 5 that week.
        var approval = Chart("Feedback approval per week").FindElements(By.CssSelector("rect.bar"));
        var week = Assert.Single(approval);
        Assert.Equal("11-23: 60%", Tip(week));
        Assert.True(week.Size.Height > 5);

        var days = Chart("Compactions per day").FindElements(By.CssSelector("rect.bar"));
        Assert.Equal(15, days.Count);
        var drawn = Assert.Single(days, d => d.Size.Height > 5);
        Assert.Equal("11-25: 1", Tip(drawn));

        using var context = await Server.Client.PostAsJsonAsync("/v1/context", new { agentId = "work", sessionId = "standup", prompt = "when is the report due?" });
        context.EnsureSuccessStatusCode();
        _time.Advance(TimeSpan.FromMinutes(1));
        using var later = await Server.Client.PostAsJsonAsync("/v1/context", new { agentId = "work", sessionId = "standup", prompt = "when is the report due?" });
        later.EnsureSuccessStatusCode();
        Browser.Navigate().Refresh();

        var dots = Chart("Context latency").FindElements(By.CssSelector("circle.dot"));
        Assert.Equal(["10:40", "10:41"], dots.Select(d => Tip(d).Split(": ")[0]));
        Assert.Single(Chart("Context latency").FindElements(By.CssSelector("polyline.line")));
        Dashboard.Screenshot("overview-records");
    }

    [Fact]
    public void Search_EachFilterLeavesOutAHitThatWouldOtherwiseMatch_AndHitsSayWhereTheyCameFrom()
    {
        Dashboard.LogIn("/search?q=sage+green+paint");
        var all = HitSessions();
        Assert.Contains("kitchen", all);
        Assert.Contains("errands", all);
        Assert.Contains("bathroom", all);

        // Filled in through the form.
        Browser.FindElement(By.Name("session")).SendKeys("errands");
        Browser.FindElement(By.CssSelector("form.search button")).Click();
        Browser.FindElement(By.CssSelector("input[name=session][value=errands]")); // waits for the filtered page
        Assert.Contains("&session=errands&", Browser.Url, StringComparison.Ordinal);
        Assert.Equal(["errands"], HitSessions());
        var hit = Browser.FindElement(By.CssSelector(".hit .meta")).Text;
        Assert.Contains(" · home · errands · user · 2026-11-25 09:40 UTC · ", hit, StringComparison.Ordinal);
        Assert.Contains(PhoneNotes, hit, StringComparison.Ordinal);
        Dashboard.Screenshot("search-filtered");
        Assert.DoesNotContain("errands", Sessions("/search?q=sage+green+paint&session=kitchen"));
        Assert.Contains("kitchen", Sessions("/search?q=sage+green+paint&session=kitchen"));

        // The source a hit shows is the one the filter takes.
        var phone = Sessions("/search?q=sage+green+paint&source=" + Uri.EscapeDataString(PhoneNotes));
        Assert.Contains("errands", phone);
        Assert.DoesNotContain("kitchen", phone);
        var home = Sessions("/search?q=sage+green+paint&source=" + Uri.EscapeDataString(HomeNotes));
        Assert.Contains("kitchen", home);
        Assert.DoesNotContain("errands", home);

        // From and until are whole days, both included.
        var recent = Sessions("/search?q=sage+green+paint&from=2026-11-21");
        Assert.Contains("kitchen", recent);
        Assert.DoesNotContain("bathroom", recent);
        var old = Sessions("/search?q=sage+green+paint&until=2026-11-20");
        Assert.Contains("bathroom", old);
        Assert.DoesNotContain("kitchen", old);
        Assert.DoesNotContain("errands", old);
        Assert.Equal(["bathroom"], Sessions("/search?q=sage+green+paint&from=2026-11-20&until=2026-11-20"));
    }

    private List<string> Sessions(string search)
    {
        Dashboard.GoTo(search);
        return HitSessions();
    }

    /// <summary>The session of each hit, from its provenance line (score · agent · session · ...).</summary>
    private List<string> HitSessions()
    {
        var hits = Browser.FindElements(By.CssSelector(".hit .meta"));
        return [.. hits.Select(h => h.Text.Split(" · ")[2])];
    }

    /// <summary>The element that follows the heading named <paramref name="heading"/>.</summary>
    private IWebElement Section(string heading, string tag = "*") =>
        Browser.FindElement(By.XPath($"//h2[starts-with(normalize-space(.), '{heading}')]/following-sibling::{tag}[1]"));

    private IWebElement Chart(string caption) =>
        Browser.FindElement(By.XPath($"//figure[@class='chart'][figcaption[starts-with(., '{caption}')]]"));

    private static string Tip(IWebElement drawn) => drawn.FindElement(By.TagName("title")).GetDomProperty("textContent")!;

    private System.Collections.ObjectModel.ReadOnlyCollection<IWebElement> JobRow(string job) =>
        Browser.FindElement(By.XPath($"//h2[. = 'Jobs']/following-sibling::table[1]//tr[td[1]/text()[1] = '{job}']")).FindElements(By.TagName("td"));

    private async Task SeedAsync()
    {
        var engine = Engine;
        await engine.IngestTurnsAsync(HomeNotes, "test",
        [
            Turn("home", "kitchen", "k1", 1, "user", "We should repaint the kitchen walls sage green next spring", Nine.AddMinutes(10), HomeNotes),
            Turn("home", "kitchen", "k2", 2, "assistant", "Noted: sage green paint for the kitchen, next spring.", Nine.AddMinutes(11), HomeNotes),
            Turn("home", "kitchen", "k3", 3, "user", "Also the plumber Ivo comes on Thursday at 9", Nine.AddMinutes(12), HomeNotes),
            Turn("home", "garden", "g1", 1, "user", "Who waters the tomatoes while we are away in Lisbon?", Nine.AddMinutes(30), HomeNotes),
        ]);
        await engine.IngestTurnsAsync(PhoneNotes, "test",
        [
            Turn("home", "errands", "e1", 1, "user", "Buy sage green paint samples at the hardware store", Nine.AddMinutes(40), PhoneNotes),
            Turn("home", "bathroom", "b1", 1, "user", "The old bathroom had sage green paint on the tiles", new DateTimeOffset(2026, 11, 20, 18, 0, 0, TimeSpan.Zero), PhoneNotes),
        ]);
        await engine.IngestTurnsAsync("/home/ana/work.jsonl", "test",
        [
            Turn("work", "standup", "w1", 1, "user", "The quarterly report is due on the 14th", Nine.AddMinutes(20), "/home/ana/work.jsonl"),
        ]);

        // The host compacted the kitchen conversation; the next context call brings back what it dropped.
        await engine.RecordCompactionAsync(new CompactionEvent("home", "kitchen", null, null, Nine.AddMinutes(15), 15_000, 2_100, null, null, CompactionDetails.Empty, "plugin", "agent:home:kitchen"));
        using var context = await Server.Client.PostAsJsonAsync("/v1/context", new { agentId = "home", sessionId = "kitchen", prompt = "repaint the kitchen walls" });
        context.EnsureSuccessStatusCode();

        var written = await Automation.Digests.WriteHourlyAsync(Now, CancellationToken.None);
        _digest = written.Single(d => d.Agent == "home");
        Assert.Equal("model", _digest.Method);
        await Automation.Signals.DetectAsync(Now, CancellationToken.None);
        _signal = (await new SignalStore(engine.Records).ListAsync(Now.AddDays(-1), SignalKinds.UnansweredQuestion, "home", 5, CancellationToken.None)).Single();

        foreach (var (target, id, rating, who) in new[] { ("digest", _digest.Id, "up", "ana"), ("digest", _digest.Id, "up", "ben"), ("digest", _digest.Id, "down", "cy"), ("signal", _signal.Id, "up", "ana"), ("signal", _signal.Id, "down", "ben") })
        {
            using var vote = await Server.Client.PostAsJsonAsync("/v1/feedback", new { target, targetId = id, rating, user = who });
            Assert.Equal(HttpStatusCode.OK, vote.StatusCode);
        }

        var recording = _dir.File("balcony-note.wav");
        File.Copy(SharedData.Speech("jfk.wav"), recording);
        var voice = Server.Services.GetRequiredService<VoiceJobStore>();
        var (job, _) = await voice.EnqueueAsync(recording, "inbox", "home", null, CancellationToken.None);
        var done = await Server.Services.GetRequiredService<VoiceWorkers>().ProcessNowAsync(job.Id, CancellationToken.None);
        _note = done!.Value.Job;
        Assert.Equal("done", _note.Status);
    }

    private static Turn Turn(string agent, string session, string id, long sequence, string role, string text, DateTimeOffset at, string source) =>
        new(agent, session, id, null, role, text, at, source, sequence, TurnProvenance.Default);
}
