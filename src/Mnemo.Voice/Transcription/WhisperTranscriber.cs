using Mnemo.Voice.Audio;
using Whisper.net;

namespace Mnemo.Voice.Transcription;

/// <summary>
/// whisper.cpp in process through Whisper.net: the model is loaded once and shared; each
/// transcription builds its own processor (they are not thread-safe). With a Silero VAD model the
/// speech segments are found first and only they are transcribed, each at its offset.
/// </summary>
public sealed class WhisperTranscriber : ITranscriber
{
    private readonly WhisperFactory _factory;
    private readonly WhisperVadFactory? _vad;
    private readonly VoiceOptions _options;

    private WhisperTranscriber(WhisperFactory factory, WhisperVadFactory? vad, VoiceOptions options, string model)
    {
        _factory = factory;
        _vad = vad;
        _options = options;
        Model = model;
    }

    public string Engine => "whisper.cpp";

    public string Model { get; }

    /// <summary>
    /// The whisper.cpp build Whisper.net loaded. Its loader tries GPU builds (CUDA, Vulkan, ...) before
    /// the CPU one, so a GPU runtime present beside Mnemo (e.g. the Whisper.net.Runtime.Cuda package
    /// added to the build) is used without configuration; <c>Voice:UseGpu</c> false keeps to the CPU.
    /// </summary>
    public static string Runtime => Whisper.net.LibraryLoader.RuntimeOptions.LoadedLibrary?.ToString() ?? "not loaded";

    /// <exception cref="TranscriptionException">The model file is missing or does not load.</exception>
    public static WhisperTranscriber Open(VoiceOptions options, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = options.ResolveModelPath(dataDirectory);
        if (!File.Exists(path))
        {
            throw new TranscriptionException(string.IsNullOrWhiteSpace(options.ModelPath)
                ? $"no Whisper model at {path}; run 'mnemo voice models pull {options.Model}' or set Voice:ModelPath to a ggml model file"
                : $"Voice:ModelPath {path} does not exist; run 'mnemo voice models pull <name>' or point it at a ggml model file");
        }

        if (!HasGgmlMagic(path))
        {
            throw new TranscriptionException($"{path} is not a Whisper ggml model (it does not start with ggml's magic number); run 'mnemo voice models pull {options.Model}' for one");
        }

        WhisperFactory? factory = null;
        try
        {
            factory = WhisperFactory.FromPath(path, new WhisperFactoryOptions { UseGpu = options.UseGpu });
            // The model loads on first use: load it now, so a bad file fails here and not mid-job.
            using var probe = factory.CreateBuilder().Build();
        }
        catch (Exception ex) when (ex is WhisperModelLoadException or InvalidOperationException or IOException)
        {
            factory?.Dispose();
            throw new TranscriptionException($"{path} is not a Whisper ggml model whisper.cpp can load ({ex.Message}); run 'mnemo voice models pull {options.Model}' for a fresh copy", ex);
        }

        WhisperVadFactory? vad = null;
        if (!string.IsNullOrWhiteSpace(options.VadModelPath))
        {
            try
            {
                vad = WhisperVadFactory.FromPath(Path.GetFullPath(options.VadModelPath));
            }
            catch (Exception ex) when (ex is WhisperModelLoadException or InvalidOperationException or IOException)
            {
                factory.Dispose();
                throw new TranscriptionException($"Voice:VadModelPath {options.VadModelPath} is not a Silero VAD ggml model ({ex.Message})", ex);
            }
        }

        return new WhisperTranscriber(factory, vad, options, Path.GetFileName(path));
    }

    /// <summary>ggml files start with 0x67676d6c ("lmgg" on disk); anything else would be read as garbage by native code.</summary>
    internal static bool HasGgmlMagic(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(magic) == 0x67676d6c;
    }

    /// <summary>The stretches of speech the VAD model finds; the whole recording when there is no VAD model.</summary>
    public IReadOnlyList<(TimeSpan Start, TimeSpan End)> SpeechSegments(PcmAudio audio)
    {
        ArgumentNullException.ThrowIfNull(audio);
        if (_vad is null)
        {
            return [(TimeSpan.Zero, audio.Duration)];
        }

        using var processor = _vad.CreateBuilder().WithThreads(_options.Threads).Build();
        return [.. processor.DetectSpeech(audio.Samples).Select(s => (s.Start, s.End))];
    }

    public async Task<Transcript> TranscribeAsync(PcmAudio audio, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audio);
        var segments = new List<TranscriptSegment>();
        string? language = null;
        try
        {
            using var processor = _factory.CreateBuilder()
                .WithLanguage(string.IsNullOrWhiteSpace(_options.Language) ? "auto" : _options.Language)
                .WithThreads(_options.Threads)
                .Build();
            foreach (var (start, end) in SpeechSegments(audio))
            {
                var from = (int)Math.Clamp(start.TotalSeconds * PcmAudio.SampleRate, 0, audio.Samples.Length);
                var to = (int)Math.Clamp(end.TotalSeconds * PcmAudio.SampleRate, from, audio.Samples.Length);
                if (to - from < PcmAudio.SampleRate / 10)
                {
                    continue;
                }

                await foreach (var segment in processor.ProcessAsync(audio.Samples.AsMemory(from, to - from), cancellationToken).ConfigureAwait(false))
                {
                    language ??= segment.Language;
                    var text = segment.Text.Trim();
                    if (text.Length > 0)
                    {
                        segments.Add(new TranscriptSegment(start + segment.Start, start + segment.End, text));
                    }
                }
            }
        }
        catch (WhisperProcessingException ex)
        {
            throw new TranscriptionException($"whisper.cpp failed on the recording: {ex.Message}", ex);
        }

        return new Transcript(string.Join(' ', segments.Select(s => s.Text)).Trim(), language, segments, Engine, Model, audio.Duration);
    }

    public void Dispose()
    {
        _vad?.Dispose();
        _factory.Dispose();
    }
}
