using System.Net;
using System.Net.Http.Json;
using Mnemo.Domain;
using Mnemo.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Mnemo.Tests.Dashboard;

/// <summary>
/// The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, driven with
/// Selenium): log in, search and open a hit, forget after the preview, charts, untrusted markup
/// shown as text, pinning, and the pages on a phone-sized screen. Screenshots of the pages go to
/// <c>artifacts/screenshots</c> at the repository root.
/// </summary>
[Collection(EmbedderGroup.Name)]
public sealed class DashboardBrowserTests(EmbedderFixture embedder) : IAsyncLifetime, IDisposable
{
    private const string Script = "<script>document.title='pwned'</script><b>bold?</b> the alarm code is 9051";
    private readonly TempDirectory _dir = new();
    private TestServer? _server;
    private DashboardBrowser? _dashboard;

    private TestServer Server => _server!;

    private MemoryEngine Engine => (MemoryEngine)Server.Services.GetService(typeof(MemoryEngine))!;

    private ChromeDriver Browser => _dashboard!.Driver;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(_dir.File("data"), embedder);
        var now = DateTimeOffset.UtcNow;
        var engine = Server.Services.GetService(typeof(MemoryEngine)) as MemoryEngine;
        await engine!.IngestTurnsAsync("dashboard-test", "test",
        [
            Turn("home", "kitchen", "k1", 1, "user", "We should repaint the kitchen walls sage green next spring", now.AddMinutes(-30)),
            Turn("home", "kitchen", "k2", 2, "assistant", "Noted: sage green for the kitchen, next spring.", now.AddMinutes(-29)),
            Turn("home", "kitchen", "k3", 3, "user", "Also the plumber Ivo comes on Thursday at 9", now.AddMinutes(-28)),
            Turn("home", "security", "s1", 1, "user", Script, now.AddMinutes(-20)),
            Turn("work", "standup", "w1", 1, "user", "The quarterly report is due on the 14th", now.AddMinutes(-10)),
        ]);
        _dashboard = DashboardBrowser.Start(Server, _dir.File("chromium-profile"));
    }

    public async Task DisposeAsync()
    {
        _dashboard?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void LogIn_Search_AndOpenAHit_WithTheConversationAroundIt()
    {
        Browser.Navigate().GoToUrl(Url("/search?q=kitchen+colour"));
        Assert.EndsWith("/login", new Uri(Browser.Url).AbsolutePath, StringComparison.Ordinal);
        Screenshot("login");
        Browser.FindElement(By.Id("token")).SendKeys("not-the-token");
        Browser.FindElement(By.CssSelector("form.login button")).Click();
        Assert.Contains("That is not the token", Browser.FindElement(By.CssSelector(".error")).Text, StringComparison.Ordinal);

        LogIn();
        Assert.Equal("/search", new Uri(Browser.Url).AbsolutePath);
        var cookie = Browser.Manage().Cookies.GetCookieNamed("mnemo_session");
        Assert.NotNull(cookie);
        Assert.True(cookie.IsHttpOnly);
        Assert.Equal("Strict", cookie.SameSite);
        Assert.NotEqual(Server.Settings.Server.Token, cookie.Value);
        Screenshot("search");

        var first = Browser.FindElement(By.CssSelector(".hit .hit-link"));
        Assert.Contains("sage green", first.Text, StringComparison.Ordinal);
        Assert.Matches(@"score \d\.\d{3}", Browser.FindElement(By.CssSelector(".hit .meta")).Text);
        first.Click();
        Assert.Matches("^/memories/\\d+$", new Uri(Browser.Url).AbsolutePath);
        var turns = Browser.FindElements(By.CssSelector("ol.transcript .turn"));
        Assert.Equal(3, turns.Count);
        Assert.Contains("sage green", Browser.FindElement(By.CssSelector(".turn.current")).Text, StringComparison.Ordinal);
        Screenshot("memory");
    }

    [Fact]
    public async Task Forget_ShowsWhatWillBeDeleted_AndOnceConfirmedTheMemoryIsGone()
    {
        LogIn();
        OpenFirstHit("/search?q=plumber+Thursday", "plumber Ivo");
        var memoryPath = new Uri(Browser.Url).AbsolutePath;
        Browser.FindElement(By.LinkText("Forget…")).Click();

        Assert.Contains("will be deleted for good", Browser.FindElement(By.CssSelector(".warning")).Text, StringComparison.Ordinal);
        Assert.Contains("plumber Ivo", Assert.Single(Browser.FindElements(By.CssSelector("ol.transcript .turn"))).Text, StringComparison.Ordinal);
        Screenshot("forget-preview");
        Browser.FindElement(By.CssSelector("form.confirm button.danger")).Click();

        Assert.Contains("Forgot 1 memories", Browser.FindElement(By.CssSelector(".notice")).Text, StringComparison.Ordinal);
        Browser.Navigate().GoToUrl(Url("/search?q=plumber+Thursday"));
        Assert.DoesNotContain(Browser.FindElements(By.CssSelector(".hit .hit-link")), h => h.Text.Contains("plumber", StringComparison.Ordinal));
        var gone = await Server.Client.GetAsync(new Uri(memoryPath.Replace("/memories/", "/v1/memories/", StringComparison.Ordinal), UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public void Overview_DrawsTheCharts_AndThePagesFitAPhoneScreen()
    {
        LogIn();
        Browser.Navigate().GoToUrl(Url("/"));
        var charts = Browser.FindElements(By.CssSelector("figure.chart"));
        Assert.Contains(charts, c => c.Text.Contains("Memories per day · home", StringComparison.Ordinal));
        var bars = Browser.FindElements(By.CssSelector("figure.chart svg.chart-svg rect.bar"));
        Assert.NotEmpty(bars);
        Assert.Contains(bars, b => b.Size.Height > 5);
        Assert.Contains(charts, c => c.Text.Contains("Search latency", StringComparison.Ordinal) && c.FindElements(By.CssSelector("circle.dot")).Count > 0);
        Screenshot("overview");

        foreach (var page in new[] { "/timeline?agent=home", "/digests", "/status" })
        {
            Browser.Navigate().GoToUrl(Url(page));
            Assert.Empty(Browser.FindElements(By.CssSelector(".error")));
            Screenshot(page.Trim('/').Split('?')[0]);
        }

        Browser.Manage().Window.Size = new System.Drawing.Size(390, 844);
        foreach (var page in new[] { "/", "/search?q=kitchen", "/status" })
        {
            Browser.Navigate().GoToUrl(Url(page));
            var overflow = Convert.ToInt64(Browser.ExecuteScript("return document.documentElement.scrollWidth - window.innerWidth;"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(overflow <= 0, $"{page} is {overflow}px wider than a phone screen");
        }

        Screenshot("phone-search");
    }

    [Fact]
    public void ATranscriptHoldingMarkup_IsShownAsText_AndNothingOfItRuns()
    {
        LogIn();
        OpenFirstHit("/search?q=alarm+code", "<script>");

        var text = Browser.FindElement(By.CssSelector(".turn.current .text"));
        Assert.Equal(Script, text.Text);
        Assert.Empty(text.FindElements(By.TagName("b")));
        Assert.Empty(Browser.FindElements(By.CssSelector("main script")));
        Assert.DoesNotContain("pwned", Browser.Title, StringComparison.Ordinal);
        Screenshot("untrusted-markup");
    }

    [Fact]
    public async Task Pinning_BringsTheMemoryBackIntoContext_AndAFormFromElsewhereIsRefused()
    {
        LogIn();
        OpenFirstHit("/search?q=quarterly+report&agent=work", "quarterly report");
        var id = long.Parse(new Uri(Browser.Url).AbsolutePath.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var before = await ContextAsync();
        Browser.FindElement(By.XPath("//button[starts-with(., 'Pin')]")).Click();

        Assert.Contains("pinned", Browser.FindElement(By.CssSelector("p.meta")).Text, StringComparison.Ordinal);
        Assert.DoesNotContain("quarterly report", before, StringComparison.Ordinal);
        Assert.Contains("quarterly report", await ContextAsync(), StringComparison.Ordinal);

        // The same form posted by another site's page: with the cookie but without the antiforgery token.
        using var handler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false };
        using var forged = new HttpClient(handler) { BaseAddress = Server.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/forget") { Content = new FormUrlEncodedContent([new("ids", id.ToString(System.Globalization.CultureInfo.InvariantCulture))]) };
        request.Headers.Add("Cookie", $"mnemo_session={Mnemo.Server.Hosting.TokenAuthentication.SessionValue(Server.Settings.Server.Token)}");
        var refused = await forged.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Server.Client.GetAsync(new Uri($"/v1/memories/{id}", UriKind.Relative))).StatusCode);

        // Nor does the cookie open the API.
        using var api = new HttpRequestMessage(HttpMethod.Get, $"/v1/memories/{id}");
        api.Headers.Add("Cookie", $"mnemo_session={Mnemo.Server.Hosting.TokenAuthentication.SessionValue(Server.Settings.Server.Token)}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.SendAsync(api)).StatusCode);
    }

    [Fact]
    public async Task Unpin_RemovesThePinnedTag_AndTheMemoryLeavesTheContextAgain()
    {
        LogIn();
        OpenFirstHit("/search?q=quarterly+report&agent=work", "quarterly report");
        Browser.FindElement(By.XPath("//button[starts-with(., 'Pin')]")).Click();
        var unpin = Browser.FindElement(By.XPath("//button[. = 'Unpin']")); // waits for the page after the post
        Assert.Contains("pinned", Browser.FindElement(By.CssSelector("p.meta")).Text, StringComparison.Ordinal);
        Assert.Contains("quarterly report", await ContextAsync(), StringComparison.Ordinal);

        unpin.Click();

        Browser.FindElement(By.XPath("//button[starts-with(., 'Pin')]"));
        Assert.DoesNotContain("pinned", Browser.FindElement(By.CssSelector("p.meta")).Text, StringComparison.Ordinal);
        Assert.Empty(Browser.FindElements(By.XPath("//button[. = 'Unpin']")));
        Assert.Empty(await Engine.Pins.ListAsync("work", CancellationToken.None));
        Assert.DoesNotContain("quarterly report", await ContextAsync(), StringComparison.Ordinal);
        Screenshot("unpinned");
    }

    [Fact]
    public async Task FormsPostedFromElsewhere_ToPinRunAJobOrLogOut_AreRefusedAndChangeNothing()
    {
        LogIn();
        OpenFirstHit("/search?q=quarterly+report&agent=work", "quarterly report");
        var id = _dashboard!.IdInPath;

        using var pin = await _dashboard.PostFromElsewhereAsync($"/memories/{id}/pin");
        using var run = await _dashboard.PostFromElsewhereAsync("/jobs/signals/run");
        using var logout = await _dashboard.PostFromElsewhereAsync("/logout");

        Assert.Equal(HttpStatusCode.BadRequest, pin.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, run.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        Assert.Contains("nothing was changed", await pin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await Engine.Pins.ListAsync("work", CancellationToken.None));
        Assert.Empty(await new Mnemo.Scheduling.JobStore(Engine.Records).GetRunsAsync("signals", 10, CancellationToken.None));
        Assert.DoesNotContain(logout.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith("mnemo_session=", StringComparison.Ordinal));

        // The browser is still logged in, and the same actions from Mnemo's own page do work.
        Browser.Navigate().Refresh();
        Assert.Equal($"/memories/{id}", _dashboard.Path);
        Assert.DoesNotContain("pinned", Browser.FindElement(By.CssSelector("p.meta")).Text, StringComparison.Ordinal);
        Browser.FindElement(By.XPath("//button[starts-with(., 'Pin')]")).Click();
        Browser.FindElement(By.XPath("//button[. = 'Unpin']")); // waits for the page after the post
        Assert.Single(await Engine.Pins.ListAsync("work", CancellationToken.None));
    }

    [Fact]
    public async Task MainPages_SendTheContentPolicy_AndLoadNothingFromAnotherOrigin()
    {
        LogIn();
        OpenFirstHit("/search?q=plumber+Thursday", "plumber Ivo");
        var memory = _dashboard!.Path;
        var origin = Server.Address.GetLeftPart(UriPartial.Authority);
        using var handler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = Server.Address };
        foreach (var page in new[] { "/login", "/", "/search?q=kitchen", memory, "/timeline?agent=home", "/session?agent=home&session=kitchen", "/digests", "/status", "/forget?agent=home&session=kitchen" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, page);
            request.Headers.Add("Cookie", $"mnemo_session={Mnemo.Server.Hosting.TokenAuthentication.SessionValue(Server.Settings.Server.Token)}");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("http", policy, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("script-src", policy, StringComparison.Ordinal);

            Browser.Navigate().GoToUrl(Url(page));
            var urls = ((IEnumerable<object>)Browser.ExecuteScript("""
                return [...document.querySelectorAll('[href], [src], form[action]')].map(e => e.href || e.src || e.action)
                    .concat(performance.getEntriesByType('resource').map(r => r.name));
                """)!).Cast<string>().ToList();
            Assert.NotEmpty(urls);
            Assert.All(urls, u => Assert.True(u.StartsWith(origin + "/", StringComparison.Ordinal), $"{page} refers to {u}"));
            Assert.Contains(urls, u => u == origin + "/dashboard.css");
            Assert.Empty(Browser.FindElements(By.TagName("script")));
        }
    }

    [Theory]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("https://evil.example/")]
    public void LogIn_WithANextOnAnotherSite_LandsOnTheOverview(string next)
    {
        _dashboard!.LogIn(next);

        var landed = new Uri(Browser.Url);
        Assert.Equal(Server.Address.Authority, landed.Authority);
        Assert.Equal("/", landed.AbsolutePath);
        Assert.Equal("Overview · Mnemo", Browser.Title);
    }

    private async Task<string> ContextAsync()
    {
        var response = await Server.Client.PostAsJsonAsync("/v1/context", new { agentId = "work", sessionId = "planning", prompt = "what is on the garden plan?" });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private void LogIn() => _dashboard!.LogIn();

    private void OpenFirstHit(string search, string expected) => _dashboard!.OpenFirstHit(search, expected);

    private string Url(string path) => _dashboard!.Url(path);

    private void Screenshot(string name) => _dashboard!.Screenshot(name);

    private static Turn Turn(string agent, string session, string id, long sequence, string role, string text, DateTimeOffset at) =>
        new(agent, session, id, null, role, text, at, "dashboard-test", sequence, TurnProvenance.Default);
}
