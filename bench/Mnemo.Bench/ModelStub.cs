using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Mnemo.Bench;

/// <summary>
/// An OpenAI-compatible model server on loopback for the reliability suite, reached through Mnemo's
/// real <c>openai</c> providers: <c>POST /v1/embeddings</c> (vectors a stable function of the text;
/// from a chosen call on it answers 500, as a model server that fell over does, until told to
/// recover) and <c>POST /v1/chat/completions</c> (a short fixed reply, for the three-pass route).
/// </summary>
internal sealed class ModelStub : IDisposable
{
    public const int Dimensions = 384;
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private int _calls;
    private int _failFrom = int.MaxValue;

    private ModelStub(int port)
    {
        BaseUrl = new Uri(FormattableString.Invariant($"http://127.0.0.1:{port}/v1"));
        _listener.Prefixes.Add(FormattableString.Invariant($"http://127.0.0.1:{port}/"));
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>What <c>MNEMO_EMBEDDINGS_URL</c> is set to.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Embedding calls answered so far (successful or not).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Calls failed on purpose so far.</summary>
    public int Failed { get; private set; }

    public static ModelStub Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new ModelStub(port);
    }

    /// <summary>Call number <paramref name="call"/> (1-based) and every one after it answers 500.</summary>
    public void FailFrom(int call) => Volatile.Write(ref _failFrom, call);

    /// <summary>The model works again.</summary>
    public void Recover() => Volatile.Write(ref _failFrom, int.MaxValue);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                await AnswerAsync(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or JsonException)
            {
                context.Response.Abort();
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        using var response = context.Response;
        if (context.Request.HttpMethod == "POST" && context.Request.Url?.AbsolutePath == "/v1/chat/completions")
        {
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync("""
                {"id":"chatcmpl-reliability","object":"chat.completion","created":1795566221,"model":"reliability-stub",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"A short note on what the memories say."},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":10,"completion_tokens":9,"total_tokens":19}}
                """u8.ToArray()).ConfigureAwait(false);
            return;
        }

        if (context.Request.HttpMethod != "POST" || context.Request.Url?.AbsolutePath != "/v1/embeddings")
        {
            response.StatusCode = 404;
            return;
        }

        using var body = await JsonDocument.ParseAsync(context.Request.InputStream).ConfigureAwait(false);
        var call = Interlocked.Increment(ref _calls);
        if (call >= Volatile.Read(ref _failFrom))
        {
            Failed++;
            response.StatusCode = 500;
            await response.OutputStream.WriteAsync("""{"error":{"message":"the model server failed (reliability suite)","type":"server_error"}}"""u8.ToArray()).ConfigureAwait(false);
            return;
        }

        var inputs = body.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToList();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            for (var i = 0; i < inputs.Count; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("index", i);
                json.WriteStartArray("embedding");
                foreach (var value in Vector(inputs[i]))
                {
                    json.WriteNumberValue(value);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("model", body.RootElement.TryGetProperty("model", out var model) ? model.GetString() : "stub");
            json.WriteEndObject();
        }

        response.ContentType = "application/json";
        response.StatusCode = 200;
        await response.OutputStream.WriteAsync(buffer.ToArray()).ConfigureAwait(false);
    }

    /// <summary>A stable vector for a text: its words hashed into buckets, so texts sharing words are near.</summary>
    private static float[] Vector(string text)
    {
        var vector = new float[Dimensions];
        foreach (var word in text.ToLower(CultureInfo.InvariantCulture).Split([' ', ',', '.', ':', '\'', '?', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(word));
            vector[BitConverter.ToUInt16(hash, 0) % Dimensions] += 1f;
            vector[BitConverter.ToUInt16(hash, 2) % Dimensions] += 0.5f;
        }

        vector[0] += 0.01f; // never all zero
        return vector;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
