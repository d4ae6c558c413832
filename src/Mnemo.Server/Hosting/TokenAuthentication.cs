using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Mnemo.Server.Api;

namespace Mnemo.Server.Hosting;

/// <summary>
/// Requires <c>Authorization: Bearer &lt;token&gt;</c> on every route but <c>/health</c> (and its
/// <c>/live</c> and <c>/ready</c>) and
/// Telegram's webhook (which checks the secret Telegram was given instead), compared in
/// constant time. Hand-written middleware: ASP.NET's authentication stack is built for JWTs and
/// cookies (and writes data-protection keys to the home directory), not for one shared secret.
/// </summary>
internal sealed class TokenAuthentication(RequestDelegate next, ServerOptions server)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(server.Token));

    public Task InvokeAsync(HttpContext context)
    {
        if (IsHealth(context.Request.Path)
            || context.Request.Path.Equals(Mnemo.Delivery.TelegramFeedbackBot.WebhookPath, StringComparison.Ordinal)
            || IsAuthorized(context.Request))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsJsonAsync(
            new ErrorJson("unauthorized", "send the token from config.json in the data directory as 'Authorization: Bearer <token>'"),
            ApiJsonContext.Default.ErrorJson);
    }

    private static bool IsHealth(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase, out var rest) && (!rest.HasValue || rest == "/live" || rest == "/ready");

    private bool IsAuthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Hashing both sides first makes the comparison constant-time whatever the lengths.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, _expected);
    }
}
