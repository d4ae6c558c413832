using System.Net;
using Microsoft.AspNetCore.Http;
using Mnemo.Server.Hosting;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Security;

/// <summary>The dashboard's cookie is a session derived from the token, not the token; a new token ends old sessions.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class DashboardSessionTests(EmbedderFixture embedder)
{
    [Fact]
    public void SessionValue_IsNotTheToken_AndChangesWithIt()
    {
        var token = "a-token-of-at-least-sixteen-characters";

        Assert.NotEqual(token, TokenAuthentication.SessionValue(token));
        Assert.DoesNotContain(token, TokenAuthentication.SessionValue(token), StringComparison.Ordinal);
        Assert.Equal(TokenAuthentication.SessionValue(token), TokenAuthentication.SessionValue(token));
        Assert.NotEqual(TokenAuthentication.SessionValue(token), TokenAuthentication.SessionValue(token + "x"));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("192.0.2.10", true)]
    [InlineData("10.0.0.7", true)]
    public void SessionCookie_IsSecure_UnlessTheBrowserIsOnThisMachine(string remote, bool secure)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);

        var options = TokenAuthentication.SessionCookie(context);

        Assert.Equal(secure, options.Secure);
        Assert.True(options.HttpOnly);
        Assert.Equal(SameSiteMode.Strict, options.SameSite);
    }

    [Fact]
    public async Task OnlyTheCurrentSessionValue_OpensTheDashboard()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        string oldToken;
        await using (var server = await TestServer.StartAsync(data, embedder))
        {
            oldToken = server.Settings.Server.Token;
            Assert.Equal(HttpStatusCode.OK, (await PageAsync(server, $"mnemo_session={TokenAuthentication.SessionValue(oldToken)}")).StatusCode);
            Assert.Equal(HttpStatusCode.Redirect, (await PageAsync(server, $"mnemo_token={oldToken}")).StatusCode);
            Assert.Equal(HttpStatusCode.Redirect, (await PageAsync(server, $"mnemo_session={oldToken}")).StatusCode);
        }

        var newToken = "rotated-token-" + Guid.NewGuid().ToString("N");
        await using (var rotated = await TestServer.StartAsync(data, embedder, new Dictionary<string, string?> { ["Auth:Token"] = newToken }))
        {
            Assert.Equal(HttpStatusCode.Redirect, (await PageAsync(rotated, $"mnemo_session={TokenAuthentication.SessionValue(oldToken)}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await PageAsync(rotated, $"mnemo_session={TokenAuthentication.SessionValue(newToken)}")).StatusCode);
        }
    }

    private static async Task<HttpResponseMessage> PageAsync(TestServer server, string cookie)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var client = new HttpClient(handler) { BaseAddress = server.Address };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/status");
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request);
    }
}
