namespace Mnemo.Voice;

/// <summary>How voice notes are transcribed (config section <c>Voice</c>).</summary>
public sealed record VoiceOptions
{
    /// <summary><c>whisper</c> (whisper.cpp in process, the default) or <c>openai</c> (any OpenAI-compatible <c>/v1/audio/transcriptions</c>).</summary>
    public string Engine { get; set; } = "whisper";

    /// <summary>The ggml model's name: tiny, base, small, medium, large-v3, ... (<c>.en</c> variants too).</summary>
    public string Model { get; set; } = "base";

    /// <summary>Where <c>mnemo voice models pull</c> downloads from (whisper.cpp's repository on Hugging Face, or a mirror).</summary>
    public string ModelSource { get; set; } = Models.WhisperModels.DefaultSource;

    /// <summary>A ggml model file to use instead of <c>models/ggml-&lt;Model&gt;.bin</c> in the data directory.</summary>
    public string? ModelPath { get; set; }

    /// <summary>A Silero VAD ggml model: with it, silence is trimmed and long recordings are split at pauses.</summary>
    public string? VadModelPath { get; set; }

    /// <summary>Use a GPU build of whisper.cpp when one is present (CUDA, Vulkan, Metal); false keeps to the CPU.</summary>
    public bool UseGpu { get; set; } = true;

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

    /// <summary>Transcriptions at once (default: one per core).</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>Tries per recording before it is marked failed.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Longest one transcription may take.</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The agent a voice note belongs to when nothing says which (OpenClaw's inbound folder, the inbox).</summary>
    public string DefaultAgent { get; set; } = "main";

    /// <summary>Audio files are deleted this many days after transcription; 0 keeps them.</summary>
    public int KeepAudioDays { get; set; } = 30;

    /// <summary>Watch the data directory's <c>voice/inbox</c> and OpenClaw's <c>media/inbound</c>.</summary>
    public bool Watch { get; set; } = true;

    public static string InboxDirectory(string dataDirectory) => Path.Combine(dataDirectory, "voice", "inbox");

    public static string UploadDirectory(string dataDirectory) => Path.Combine(dataDirectory, "voice", "uploads");

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

        if (Threads is < 1 or > 256 || MaxDuration <= TimeSpan.Zero || Workers is < 1 or > 64 || MaxAttempts is < 1 or > 20 || JobTimeout <= TimeSpan.Zero || KeepAudioDays < 0)
        {
            throw new ArgumentException("Voice: Threads must be 1 to 256, Workers 1 to 64, MaxAttempts 1 to 20, MaxDuration and JobTimeout positive, KeepAudioDays 0 or more");
        }
    }
}
