using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mnemo.Tests.Support;

/// <summary>
/// Telegram's Bot API as a loopback stand-in speaking the real JSON (<c>POST /bot{token}/{method}</c>,
/// <c>{"ok":true,"result":...}</c>), so the real Telegram.Bot client runs against it: sendMessage,
/// long-polled getUpdates fed by <see cref="PushCallback"/>, answerCallbackQuery, message edits and
/// the webhook calls. Every call is recorded.
/// </summary>
public sealed class FakeBotApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<JsonObject> _updates = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private int _messageId;
    private int _updateId = 100;

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

    /// <summary>The id given to the last message sent.</summary>
    public int LastMessageId => Volatile.Read(ref _messageId);

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

    /// <summary>Queues a tap on an inline button of message <paramref name="messageId"/> in <paramref name="chatId"/>; returns the tap's id.</summary>
    public string PushCallback(string data, long chatId, int messageId, long userId = 777, string? queryId = null)
    {
        queryId ??= $"cbq-{Guid.NewGuid():N}";
        Push(new JsonObject
        {
            ["callback_query"] = new JsonObject
            {
                ["id"] = queryId,
                ["from"] = new JsonObject { ["id"] = userId, ["is_bot"] = false, ["first_name"] = "Ana" },
                ["chat_instance"] = "ci-1",
                ["data"] = data,
                ["message"] = new JsonObject
                {
                    ["message_id"] = messageId,
                    ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    ["chat"] = new JsonObject { ["id"] = chatId, ["type"] = "private" },
                    ["text"] = "Mnemo digest",
                },
            },
        });
        return queryId;
    }

    /// <summary>Queues a text message from the user.</summary>
    public void PushMessage(string text, long chatId) => Push(new JsonObject
    {
        ["message"] = new JsonObject
        {
            ["message_id"] = Interlocked.Increment(ref _messageId),
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["chat"] = new JsonObject { ["id"] = chatId, ["type"] = "private" },
            ["from"] = new JsonObject { ["id"] = chatId, ["is_bot"] = false, ["first_name"] = "Ana" },
            ["text"] = text,
        },
    });

    /// <summary>Waits until a call of <paramref name="method"/> matching <paramref name="match"/> has arrived.</summary>
    public async Task<JsonElement> WaitForAsync(string method, Func<JsonElement, bool>? match = null, int seconds = 20)
    {
        for (var waited = 0; waited < seconds * 20; waited++)
        {
            foreach (var (name, body) in Calls)
            {
                if (name == method && (match is null || match(body)))
                {
                    return body;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no {method} call arrived; calls: {string.Join(", ", Calls.Select(c => c.Method))}");
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
        _arrived.Dispose();
    }

    private void Push(JsonObject update)
    {
        lock (_updates)
        {
            update["update_id"] = ++_updateId;
            _updates.Add(update);
        }

        _arrived.Release();
    }

    private async Task<IResult> HandleAsync(string bot, string method, HttpRequest request)
    {
        if (bot != "bot" + Token)
        {
            return Results.Json(new { ok = false, error_code = 401, description = "Unauthorized" }, statusCode: 401);
        }

        var text = await new StreamReader(request.Body).ReadToEndAsync();
        var body = JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
        Calls.Enqueue((method, body));
        if (Failure is { } failure)
        {
            return Results.Json(new { ok = false, error_code = failure.Code, description = failure.Description }, statusCode: failure.Code);
        }

        return method switch
        {
            "sendMessage" => Ok(new JsonObject
            {
                ["message_id"] = Interlocked.Increment(ref _messageId),
                ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["chat"] = new JsonObject { ["id"] = body.GetProperty("chat_id").GetInt64(), ["type"] = "private" },
                ["text"] = body.GetProperty("text").GetString(),
            }),
            "getUpdates" => Ok(await UpdatesAsync(body, request.HttpContext.RequestAborted)),
            "editMessageReplyMarkup" or "editMessageText" => Ok(new JsonObject
            {
                ["message_id"] = body.GetProperty("message_id").GetInt32(),
                ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["chat"] = new JsonObject { ["id"] = body.GetProperty("chat_id").GetInt64(), ["type"] = "private" },
                ["text"] = "Mnemo digest",
            }),
            "answerCallbackQuery" or "setWebhook" or "deleteWebhook" => Ok(JsonValue.Create(true)),
            "getMe" => Ok(new JsonObject { ["id"] = 123456, ["is_bot"] = true, ["first_name"] = "Mnemo", ["username"] = "mnemo_test_bot", ["can_join_groups"] = true, ["can_read_all_group_messages"] = false, ["supports_inline_queries"] = false }),
            // Bot settings a client may make at start (commands, descriptions, menu button): accepted.
            _ when method.StartsWith("set", StringComparison.Ordinal) || method.StartsWith("delete", StringComparison.Ordinal) => Ok(JsonValue.Create(true)),
            "getMyCommands" => Ok(new JsonArray()),
            _ => Results.Json(new { ok = false, error_code = 404, description = $"Not Found: method {method}" }, statusCode: 404),
        };
    }

    /// <summary>getUpdates as Telegram does it: what is at or after the offset, waiting up to the timeout for something new.</summary>
    private async Task<JsonArray> UpdatesAsync(JsonElement body, CancellationToken aborted)
    {
        var offset = body.TryGetProperty("offset", out var o) ? o.GetInt32() : 0;
        var timeout = body.TryGetProperty("timeout", out var t) ? t.GetInt32() : 0;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, _stopping.Token);
        var deadline = DateTime.UtcNow.AddSeconds(timeout);
        while (true)
        {
            lock (_updates)
            {
                var due = _updates.Where(u => u["update_id"]!.GetValue<int>() >= offset).Select(u => u.DeepClone()).ToArray();
                if (due.Length > 0 || DateTime.UtcNow >= deadline)
                {
                    return new JsonArray(due);
                }
            }

            try
            {
                await _arrived.WaitAsync(TimeSpan.FromMilliseconds(200), linked.Token);
            }
            catch (OperationCanceledException)
            {
                return [];
            }
        }
    }

    private static IResult Ok(JsonNode? result) => Results.Json(new JsonObject { ["ok"] = true, ["result"] = result });
}
