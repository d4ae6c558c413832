using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mnemo.OpenClaw.Tests;

/// <summary>
/// Stands in for the hosted model: an OpenAI-compatible <c>/v1/chat/completions</c> on loopback,
/// streaming (SSE) as OpenClaw asks, recording every request body. It answers OpenClaw's
/// summarization prompt with a plausible summary that keeps none of the planted facts, as real
/// summaries often lose exact identifiers.
/// </summary>
public sealed class FakeModelServer : IAsyncDisposable
{
    public const string SummaryMarker = "FAKE-SUMMARY-OK";
    private readonly WebApplication _app;

    private FakeModelServer(WebApplication app) => _app = app;

    public ConcurrentQueue<JsonElement> Requests { get; } = new();

    public Uri BaseAddress => new(_app.Urls.Single());

    public static async Task<FakeModelServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeModelServer(app);
        app.MapPost("/v1/chat/completions", server.CompleteAsync);
        app.MapGet("/v1/models", () => Results.Json(new { data = new[] { new { id = "fake-model", @object = "model" } } }));
        await app.StartAsync();
        return server;
    }

    /// <summary>The user-visible turn requests (not summaries), in arrival order.</summary>
    public IReadOnlyList<JsonElement> TurnRequests => Requests.Where(r => !IsSummarization(r)).ToList();

    public static bool IsSummarization(JsonElement request) =>
        request.GetProperty("messages").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } first
        && Text(first).StartsWith("You are a context summarization assistant", StringComparison.Ordinal);

    /// <summary>All the text of a request's messages, joined.</summary>
    public static string AllText(JsonElement request) =>
        string.Join("\n", request.GetProperty("messages").EnumerateArray().Select(Text));

    public static string Text(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return string.Empty;
        }

        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString() ?? string.Empty,
            JsonValueKind.Array => string.Join("\n", content.EnumerateArray()
                .Where(p => p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                .Select(p => p.GetProperty("text").GetString())),
            _ => string.Empty,
        };
    }

    private async Task CompleteAsync(HttpContext context)
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body);
        var request = document.RootElement.Clone();
        Requests.Enqueue(request);
        var reply = IsSummarization(request)
            ? $"## Decisions\nThe user and the assistant talked through several everyday topics.\n## Open TODOs\nNone.\n## Constraints/Rules\nNone.\n## Pending user asks\nNone.\n## Exact identifiers\nNone captured.\n{SummaryMarker}"
            : $"Noted. (fake reply {Requests.Count})";

        context.Response.ContentType = "text/event-stream";
        var id = $"chatcmpl-{Requests.Count}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        async Task SendAsync(object chunk)
        {
            await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk) + "\n\n", Encoding.UTF8);
            await context.Response.Body.FlushAsync();
        }

        await SendAsync(new { id, @object = "chat.completion.chunk", created, model = "fake-model", choices = new[] { new { index = 0, delta = new { role = "assistant", content = string.Empty }, finish_reason = (string?)null } } });
        await SendAsync(new { id, @object = "chat.completion.chunk", created, model = "fake-model", choices = new[] { new { index = 0, delta = new { content = reply }, finish_reason = (string?)null } } });
        await SendAsync(new { id, @object = "chat.completion.chunk", created, model = "fake-model", choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } } });
        await SendAsync(new { id, @object = "chat.completion.chunk", created, model = "fake-model", choices = Array.Empty<object>(), usage = new { prompt_tokens = 1200, completion_tokens = 20, total_tokens = 1220 } });
        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
