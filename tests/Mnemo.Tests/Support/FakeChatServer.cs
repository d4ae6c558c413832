using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mnemo.Tests.Support;

/// <summary>
/// Stands in for a hosted chat model on loopback, speaking both wire protocols Mnemo's real
/// clients use: OpenAI's <c>/v1/chat/completions</c> and Anthropic's <c>/v1/messages</c>. Replies
/// come from a test-supplied function of the system and user text; the next N calls can be made
/// to fail with 500. Every request is recorded.
/// </summary>
public sealed partial class FakeChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failures;

    private FakeChatServer(WebApplication app, Func<string, string, string> reply)
    {
        _app = app;
        Reply = reply;
    }

    public Func<string, string, string> Reply { get; set; }

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>The OpenAI-style base URL (with /v1).</summary>
    public string OpenAiEndpoint => _app.Urls.Single() + "/v1";

    /// <summary>The Anthropic-style base URL (the SDK appends /v1/messages).</summary>
    public string AnthropicEndpoint => _app.Urls.Single();

    public static async Task<FakeChatServer> StartAsync(Func<string, string, string>? reply = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeChatServer(app, reply ?? ThreePassReply);
        app.MapPost("/v1/chat/completions", server.OpenAiAsync);
        app.MapPost("/v1/messages", server.AnthropicAsync);
        app.MapPost("/v1/audio/transcriptions", server.TranscribeAsync);
        await app.StartAsync();
        return server;
    }

    /// <summary>The next <paramref name="count"/> calls answer 500.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failures, count);

    /// <summary>
    /// A model that follows Mnemo's three-pass prompts: the draft states one fact from the first
    /// source, the critique says a fact from the last source is missing, and the refined text
    /// applies the critique (it adds what the review asks for), so a test can follow a critique
    /// point into the refined text.
    /// </summary>
    public static string ThreePassReply(string system, string user)
    {
        var sources = SourcePattern().Matches(user).Select(m => (Id: m.Groups[1].Value, Text: m.Groups[2].Value.Trim())).ToList();
        if (system.StartsWith("You review a draft", StringComparison.Ordinal))
        {
            var last = sources[^1];
            return $"1. Coverage: the draft leaves out \"{FirstSentence(last.Text)}\" [m{last.Id}]; add it.";
        }

        if (system.StartsWith("You revise a draft", StringComparison.Ordinal))
        {
            var draft = Between(user, "<draft>", "</draft>");
            var review = Between(user, "<review>", "</review>");
            var added = ReviewQuote().Match(review);
            return $"{draft}\n- {added.Groups[1].Value} [m{added.Groups[2].Value}]";
        }

        var first = sources[0];
        return $"### Decisions\n- {FirstSentence(first.Text)} [m{first.Id}]";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> OpenAiAsync(HttpRequest http)
    {
        using var body = await JsonDocument.ParseAsync(http.Body);
        var root = body.RootElement.Clone();
        var messages = root.GetProperty("messages").EnumerateArray().ToList();
        var system = string.Join("\n", messages.Where(m => m.GetProperty("role").GetString() == "system").Select(Content));
        var user = string.Join("\n", messages.Where(m => m.GetProperty("role").GetString() == "user").Select(Content));
        Requests.Enqueue(new Request("openai", http.Headers.Authorization.ToString(), http.Headers["x-api-key"].ToString(), system, user, root));
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            return Results.Json(new { error = new { message = "the fake model is down", type = "server_error" } }, statusCode: 500);
        }

        var text = Reply(system, user);
        return Results.Json(new
        {
            id = "chatcmpl-fake",
            @object = "chat.completion",
            created = 1_764_000_000,
            model = root.GetProperty("model").GetString(),
            choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" } },
            usage = new { prompt_tokens = (system.Length + user.Length) / 4, completion_tokens = text.Length / 4, total_tokens = (system.Length + user.Length + text.Length) / 4 },
        });
    }

    /// <summary>What the transcription endpoint answers (OpenAI's <c>{"text": ...}</c>).</summary>
    public string Transcription { get; set; } = "And so my fellow Americans, ask not what your country can do for you.";

    /// <summary>The audio files received, with the form's other fields.</summary>
    public ConcurrentQueue<(byte[] Audio, string FileName, Dictionary<string, string> Fields)> Transcriptions { get; } = new();

    private async Task<IResult> TranscribeAsync(HttpRequest http)
    {
        var form = await http.ReadFormAsync();
        var file = form.Files["file"];
        if (file is null)
        {
            return Results.Json(new { error = new { message = "file is required" } }, statusCode: 400);
        }

        using var audio = new MemoryStream();
        await file.CopyToAsync(audio);
        Transcriptions.Enqueue((audio.ToArray(), file.FileName, form.Where(f => f.Key != "file").ToDictionary(f => f.Key, f => f.Value.ToString())));
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            return Results.Json(new { error = new { message = "the fake model is down", type = "server_error" } }, statusCode: 500);
        }

        return Results.Json(new { text = Transcription });
    }

    private async Task<IResult> AnthropicAsync(HttpRequest http)
    {
        using var body = await JsonDocument.ParseAsync(http.Body);
        var root = body.RootElement.Clone();
        var system = root.TryGetProperty("system", out var s) ? (s.ValueKind == JsonValueKind.String ? s.GetString()! : string.Join("\n", s.EnumerateArray().Select(b => b.GetProperty("text").GetString()))) : string.Empty;
        var user = string.Join("\n", root.GetProperty("messages").EnumerateArray().Where(m => m.GetProperty("role").GetString() == "user").Select(Content));
        Requests.Enqueue(new Request("anthropic", http.Headers.Authorization.ToString(), http.Headers["x-api-key"].ToString(), system, user, root));
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            return Results.Json(new { type = "error", error = new { type = "api_error", message = "the fake model is down" } }, statusCode: 500);
        }

        var text = Reply(system, user);
        return Results.Json(new
        {
            id = "msg_fake",
            type = "message",
            role = "assistant",
            model = root.GetProperty("model").GetString(),
            content = new[] { new { type = "text", text } },
            stop_reason = "end_turn",
            stop_sequence = (string?)null,
            usage = new { input_tokens = (system.Length + user.Length) / 4, output_tokens = text.Length / 4 },
        });
    }

    private static string Content(JsonElement message)
    {
        var content = message.GetProperty("content");
        return content.ValueKind == JsonValueKind.String
            ? content.GetString()!
            : string.Join("\n", content.EnumerateArray().Where(p => p.TryGetProperty("text", out _)).Select(p => p.GetProperty("text").GetString()));
    }

    private static string FirstSentence(string text)
    {
        var end = text.IndexOfAny(['.', '!', '?']);
        return (end > 0 ? text[..(end + 1)] : text).Trim();
    }

    private static string Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[from..text.IndexOf(end, from, StringComparison.Ordinal)].Trim();
    }

    [GeneratedRegex("<source id=\"m(\\d+)\"[^>]*>\\n(.*?)\\n</source>", RegexOptions.Singleline)]
    private static partial Regex SourcePattern();

    [GeneratedRegex("leaves out \"(.*?)\" \\[m(\\d+)\\]", RegexOptions.Singleline)]
    private static partial Regex ReviewQuote();

    /// <summary>One request as received.</summary>
    public sealed record Request(string Protocol, string Authorization, string ApiKeyHeader, string System, string User, JsonElement Body);
}
