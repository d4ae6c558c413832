namespace Mnemo.Voice;

/// <summary>How voice notes are transcribed (config section <c>Voice</c>).</summary>
public sealed record VoiceOptions
{
    /// <summary><c>whisper</c> (whisper.cpp in process, the default) or <c>openai</c> (any OpenAI-compatible <c>/v1/audio/transcriptions</c>).</summary>
    public string Engine { get; set; } = "whisper";

    /// <summary>The ggml model's name: tiny, base, small, medium, large-v3, ... (<c>.en</c> variants too).</summary>
    public string Model { get; set; } = "base";

    /// <summary>A ggml model file to use instead of <c>models/ggml-&lt;Model&gt;.bin</c> in the data directory.</summary>
    public string? ModelPath { get; set; }

    /// <summary>A Silero VAD ggml model: with it, silence is trimmed and long recordings are split at pauses.</summary>
    public string? VadModelPath { get; set; }

    /// <summary><c>auto</c> to detect, or a language code (<c>en</c>, <c>de</c>, ...).</summary>
    public string Language { get; set; } = "auto";

    /// <summary>CPU threads per transcription (default: all cores).</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>Longer recordings are refused with a clear error instead of filling memory.</summary>
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>For the <c>openai</c> engine: the base URL (<c>http://127.0.0.1:8000/v1</c>), model and key.</summary>
    public string? Endpoint { get; set; }

    public string RemoteModel { get; set; } = "whisper-1";

    /// <summary>Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model file Whisper loads.</summary>
    public string ResolveModelPath(string dataDirectory) =>
        !string.IsNullOrWhiteSpace(ModelPath) ? Path.GetFullPath(ModelPath) : Path.Combine(dataDirectory, "models", $"ggml-{Model}.bin");

    /// <summary>Throws an error naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (Engine is not ("whisper" or "openai"))
        {
            throw new ArgumentException($"Voice:Engine: '{Engine}' is not an engine; use whisper or openai");
        }

        if (Engine == "openai" && (string.IsNullOrWhiteSpace(Endpoint) || !Uri.TryCreate(Endpoint, UriKind.Absolute, out _)))
        {
            throw new ArgumentException("Voice:Endpoint must be the http(s) base URL of an OpenAI-compatible server for the openai engine (example: http://127.0.0.1:8000/v1)");
        }

        if (Threads is < 1 or > 256 || MaxDuration <= TimeSpan.Zero)
        {
            throw new ArgumentException("Voice:Threads must be 1 to 256 and Voice:MaxDuration positive");
        }
    }
}
