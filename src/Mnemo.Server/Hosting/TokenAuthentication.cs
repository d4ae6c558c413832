using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Mnemo.Server.Api;

namespace Mnemo.Server.Hosting;

/// <summary>
/// Requires <c>Authorization: Bearer &lt;token&gt;</c> on every route but <c>/health/live</c> and
/// <c>/health/ready</c> (a status, nothing more) and
/// Telegram's webhook (which checks the secret Telegram was given instead), compared in
/// constant time. The dashboard's pages also take the session cookie its login form sets (a value
/// derived from the token, HttpOnly, SameSite=Strict); the API, MCP and metrics take only the
/// header, so a browser's cookie can never call them. A page asked for without the token goes to the login form.
/// Hand-written middleware: ASP.NET's authentication stack is built for JWTs and
/// cookies (and writes data-protection keys to the home directory), not for one shared secret.
/// </summary>
internal sealed class TokenAuthentication(RequestDelegate next, ServerOptions server)
{
    /// <summary>The dashboard's session cookie: a value derived from the token, never the token itself.</summary>
    public const string CookieName = "mnemo_session";

    /// <summary>The cookie older versions set, holding the token itself: deleted at logout, never accepted.</summary>
    public const string LegacyCookieName = "mnemo_token";

    private readonly byte[] _expected = Hash(server.Token);

    private readonly byte[] _session = Hash(SessionValue(server.Token));

    /// <summary>
    /// The dashboard session for a token: an HMAC of a fixed label keyed with the token. A stolen
    /// cookie does not reveal the token (so it cannot call the API), and a new token ends every
    /// session made with the old one.
    /// </summary>
    public static string SessionValue(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), "mnemo dashboard session v1"u8);
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// The session cookie's options: HttpOnly, SameSite=Strict, and Secure unless the browser is on
    /// this machine (behind a TLS proxy the request itself is plain HTTP, so that cannot decide).
    /// </summary>
    public static CookieOptions SessionCookie(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var remote = context.Connection.RemoteIpAddress;
        return new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps || remote is null || !System.Net.IPAddress.IsLoopback(remote),
            Path = "/",
            MaxAge = TimeSpan.FromDays(30),
            IsEssential = true,
        };
    }

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (IsHealth(path)
            || path.Equals(Mnemo.Delivery.TelegramFeedbackBot.WebhookPath, StringComparison.Ordinal)
            || path.Equals("/login", StringComparison.Ordinal)
            || path.Equals("/dashboard.css", StringComparison.Ordinal)
            || IsAuthorized(context.Request, IsDashboard(path)))
        {
            return next(context);
        }

        if (IsDashboard(path) && HttpMethods.IsGet(context.Request.Method))
        {
            context.Response.Redirect("/login?next=" + Uri.EscapeDataString(path + context.Request.QueryString));
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsJsonAsync(
            new ErrorJson("unauthorized", "send the token from config.json in the data directory as 'Authorization: Bearer <token>'"),
            ApiJsonContext.Default.ErrorJson);
    }

    /// <summary>True when <paramref name="given"/> is the token (constant time whatever the lengths).</summary>
    public static bool Matches(string token, string? given) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Hash(given.Trim()), Hash(token));

    private static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));

    /// <summary>Liveness and readiness say only a status; the full report (<c>/health</c>) needs the token.</summary>
    private static bool IsHealth(PathString path) =>
        path.Equals("/health/live", StringComparison.OrdinalIgnoreCase) || path.Equals("/health/ready", StringComparison.OrdinalIgnoreCase);

    /// <summary>Everything but the machine interfaces is the dashboard.</summary>
    private static bool IsDashboard(PathString path) =>
        !path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase)
        && !path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
        && !path.StartsWithSegments("/mcp", StringComparison.OrdinalIgnoreCase)
        && !path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase)
        && !path.StartsWithSegments("/telegram", StringComparison.OrdinalIgnoreCase);

    private bool IsAuthorized(HttpRequest request, bool cookieAllowed)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // Hashing both sides first makes the comparison constant-time whatever the lengths.
            return CryptographicOperations.FixedTimeEquals(Hash(header["Bearer ".Length..].Trim()), _expected);
        }

        return cookieAllowed
            && request.Cookies.TryGetValue(CookieName, out var cookie)
            && CryptographicOperations.FixedTimeEquals(Hash(cookie.Trim()), _session);
    }
}
