using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mnemo.Tests.Support;

/// <summary>
/// Telegram's Bot API as a loopback stand-in speaking the real JSON (<c>POST /bot{token}/{method}</c>,
/// <c>{"ok":true,"result":...}</c>), so the real Telegram.Bot client runs against it.
/// </summary>
public sealed class FakeBotApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _messageId;

    private FakeBotApi(WebApplication app, string token)
    {
        _app = app;
        Token = token;
    }

    public string Token { get; }

    public string BaseUrl => _app.Urls.Single();

    /// <summary>When set, every call fails with this Bot API error code and description.</summary>
    public (int Code, string Description)? Failure { get; set; }

    public ConcurrentQueue<(string Method, JsonElement Body)> Calls { get; } = new();

    public static async Task<FakeBotApi> StartAsync(string token = "123456:TEST-bot-token-secret")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var api = new FakeBotApi(app, token);
        // One segment "bot<token>": the token holds a colon, which a complex segment will not match.
        app.MapPost("/{bot}/{method}", api.HandleAsync);
        await app.StartAsync();
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> HandleAsync(string bot, string method, HttpRequest request)
    {
        if (bot != "bot" + Token)
        {
            return Results.Json(new { ok = false, error_code = 401, description = "Unauthorized" }, statusCode: 401);
        }

        using var body = await JsonDocument.ParseAsync(request.Body);
        Calls.Enqueue((method, body.RootElement.Clone()));
        if (Failure is { } failure)
        {
            return Results.Json(new { ok = false, error_code = failure.Code, description = failure.Description }, statusCode: failure.Code);
        }

        return method switch
        {
            "sendMessage" => Results.Json(new
            {
                ok = true,
                result = new
                {
                    message_id = Interlocked.Increment(ref _messageId),
                    date = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    chat = new { id = body.RootElement.GetProperty("chat_id").GetInt64(), type = "private" },
                    text = body.RootElement.GetProperty("text").GetString(),
                },
            }),
            _ => Results.Json(new { ok = false, error_code = 404, description = $"Not Found: method {method}" }, statusCode: 404),
        };
    }
}
