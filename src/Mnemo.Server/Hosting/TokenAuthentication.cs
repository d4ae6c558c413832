using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Mnemo.Server.Api;

namespace Mnemo.Server.Hosting;

/// <summary>
/// Requires <c>Authorization: Bearer &lt;token&gt;</c> on every route but <c>/health</c> (and its
/// <c>/live</c> and <c>/ready</c>) and
/// Telegram's webhook (which checks the secret Telegram was given instead), compared in
/// constant time. The dashboard's pages also take the token from the cookie its login form sets
/// (HttpOnly, SameSite=Strict); the API, MCP and metrics take only the header, so a browser's
/// cookie can never call them. A page asked for without the token goes to the login form.
/// Hand-written middleware: ASP.NET's authentication stack is built for JWTs and
/// cookies (and writes data-protection keys to the home directory), not for one shared secret.
/// </summary>
internal sealed class TokenAuthentication(RequestDelegate next, ServerOptions server)
{
    public const string CookieName = "mnemo_token";

    private readonly byte[] _expected = Hash(server.Token);

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

    private static bool IsHealth(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase, out var rest) && (!rest.HasValue || rest == "/live" || rest == "/ready");

    /// <summary>Everything but the machine interfaces is the dashboard.</summary>
    private static bool IsDashboard(PathString path) =>
        !path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase)
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
            && CryptographicOperations.FixedTimeEquals(Hash(cookie.Trim()), _expected);
    }
}
