using System.Globalization;
using Mnemo.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Mnemo.Tests.Dashboard;

/// <summary>
/// Debian's headless Chromium (with its own chromium-driver, no download) on a test server's
/// dashboard, with what every dashboard test does: log in, open a page or a search hit, save a
/// screenshot to <c>artifacts/screenshots</c> at the repository root, post a form the way another
/// site would (the cookie, no antiforgery token).
/// </summary>
internal sealed class DashboardBrowser : IDisposable
{
    private readonly TestServer _server;

    private DashboardBrowser(TestServer server, ChromeDriver driver)
    {
        _server = server;
        Driver = driver;
    }

    public ChromeDriver Driver { get; }

    /// <summary>Starts Chromium with a fresh profile in <paramref name="profile"/>.</summary>
    public static DashboardBrowser Start(TestServer server, string profile)
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Chromium is not installed: test.sh installs the Debian packages chromium and chromium-driver");
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = chromium };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}", "--window-size=1280,900");
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().ImplicitWait = TimeSpan.FromSeconds(5);
        return new DashboardBrowser(server, driver);
    }

    public string Url(string path) => new Uri(_server.Address, path).ToString();

    public void GoTo(string path) => Driver.Navigate().GoToUrl(Url(path));

    /// <summary>Logs in through the form, which then goes on to <paramref name="next"/>; returns once a signed-in page shows.</summary>
    public void LogIn(string next = "/search?q=kitchen+colour")
    {
        GoTo("/login?next=" + Uri.EscapeDataString(next));
        Driver.FindElement(By.Id("token")).SendKeys(_server.Settings.Server.Token);
        Driver.FindElement(By.CssSelector("form.login button")).Click();
        Driver.FindElement(By.CssSelector("nav.top")); // waits for the first signed-in page
    }

    /// <summary>Searches, checks the first hit is the one expected, and opens it.</summary>
    public void OpenFirstHit(string search, string expected)
    {
        GoTo(search);
        var hit = Driver.FindElement(By.CssSelector(".hit .hit-link"));
        Assert.Contains(expected, hit.Text, StringComparison.Ordinal);
        hit.Click();
    }

    /// <summary>The path of the page the browser shows.</summary>
    public string Path => new Uri(Driver.Url).AbsolutePath;

    /// <summary>The id at the end of the page's path (<c>/memories/12</c>).</summary>
    public long IdInPath => long.Parse(Path.Split('/')[^1], CultureInfo.InvariantCulture);

    public void Screenshot(string name)
    {
        var directory = System.IO.Path.Combine(RepositoryRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(directory);
        Driver.GetScreenshot().SaveAsFile(System.IO.Path.Combine(directory, $"dashboard-{name}.png"));
    }

    /// <summary>
    /// Posts a form as another site's page would: the login cookie goes along, the antiforgery
    /// token (which only Mnemo's own pages hold) does not.
    /// </summary>
    public async Task<HttpResponseMessage> PostFromElsewhereAsync(string path, params KeyValuePair<string, string>[] fields)
    {
        using var handler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false };
        using var forged = new HttpClient(handler) { BaseAddress = _server.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("Cookie", $"mnemo_session={Mnemo.Server.Hosting.TokenAuthentication.SessionValue(_server.Settings.Server.Token)}");
        return await forged.SendAsync(request);
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Mnemo.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? AppContext.BaseDirectory;
    }
}
