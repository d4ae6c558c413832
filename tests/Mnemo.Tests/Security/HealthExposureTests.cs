using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mnemo.Server.Hosting;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Security;

/// <summary>
/// What is open without the token says only a status, costs nothing to ask for, and a request
/// naming a host the server does not answer to (DNS rebinding) is refused.
/// </summary>
[Collection(EmbedderGroup.Name)]
public sealed class HealthExposureTests(EmbedderFixture embedder)
{
    [Fact]
    public async Task OpenRoutes_SayOnlyAStatus_AndNeverRunTheChecks()
    {
        using var dir = new TempDirectory();
        var probe = new CountingCheck();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, configure: services =>
            services.AddHealthChecks().AddCheck("counting", probe));
        var cache = server.Services.GetRequiredService<HealthReportCache>();
        await cache.GetAsync(TimeSpan.Zero, CancellationToken.None);
        var runs = probe.Runs;

        for (var i = 0; i < 20; i++)
        {
            using var ready = await server.Anonymous.GetAsync("/health/ready");
            using var live = await server.Anonymous.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.DoesNotContain("version", await live.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(dir.Path, await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var anonymous = await server.Anonymous.GetAsync("/health");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(runs, probe.Runs);

        // The token holder gets a report made after asking; calls at the same time share one run.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ => (await server.Client.GetAsync("/health")).EnsureSuccessStatusCode()));
        Assert.InRange(probe.Runs - runs, 1, 4);
    }

    [Theory]
    [InlineData("evil.example", HttpStatusCode.BadRequest)]
    [InlineData("attacker.test:7420", HttpStatusCode.BadRequest)]
    [InlineData("localhost", HttpStatusCode.OK)]
    [InlineData("127.0.0.1:7420", HttpStatusCode.OK)]
    [InlineData("[::1]", HttpStatusCode.OK)]
    [InlineData("mnemo.lan", HttpStatusCode.OK)]
    public async Task RequestsNamingAnotherHost_AreRefused(string host, HttpStatusCode expected)
    {
        using var dir = new TempDirectory();
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, new Dictionary<string, string?> { ["Server:AllowedHosts"] = "mnemo.lan" });

        using var live = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        live.Headers.Host = host;
        using var search = new HttpRequestMessage(HttpMethod.Post, "/v1/search") { Content = new StringContent("""{"query":"keys"}""", System.Text.Encoding.UTF8, "application/json") };
        search.Headers.Host = host;

        Assert.Equal(expected, (await server.Anonymous.SendAsync(live)).StatusCode);
        Assert.Equal(expected, (await server.Client.SendAsync(search)).StatusCode);
    }

    [Fact]
    public void HostNames_AreLoopbackTheListenedHostsAndTheConfiguredOnes_OrAnyWhenListeningEverywhere()
    {
        Assert.Equal(["localhost", "127.0.0.1", "[::1]"], new ServerOptions().HostNames());
        Assert.Equal(["localhost", "127.0.0.1", "[::1]", "box.local", "bot.example.org"], new ServerOptions { Urls = "http://box.local:7420" }.HostNames("https://bot.example.org/telegram"));
        Assert.Equal(["*"], new ServerOptions { Urls = "http://0.0.0.0:7420" }.HostNames());
        Assert.Equal(["localhost", "127.0.0.1", "[::1]", "mnemo.lan"], new ServerOptions { Urls = "http://0.0.0.0:7420", AllowedHosts = "mnemo.lan" }.HostNames());
    }

    private sealed class CountingCheck : IHealthCheck
    {
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _runs);
            await Task.Delay(50, cancellationToken);
            return HealthCheckResult.Healthy("counted");
        }
    }
}
