using System.ClientModel;
using System.ClientModel.Primitives;
using Mnemo.Voice.Audio;
using NAudio.Wave;
using OpenAI;
using OpenAI.Audio;

namespace Mnemo.Voice.Transcription;

/// <summary>
/// Any OpenAI-compatible <c>POST /v1/audio/transcriptions</c> (OpenAI's hosted Whisper, a local
/// faster-whisper server) through the OpenAI SDK's audio client. The decoded audio is sent as
/// 16 kHz mono 16-bit WAV, which every such server reads.
/// </summary>
public sealed class OpenAiTranscriber(VoiceOptions options) : ITranscriber
{
    private readonly AudioClient _client = new OpenAIClient(
            new ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? "none" : options.ApiKey),
            new OpenAIClientOptions
            {
                Endpoint = new Uri(options.Endpoint!),
                RetryPolicy = new ClientRetryPolicy(maxRetries: 2),
                NetworkTimeout = TimeSpan.FromMinutes(10),
            })
        .GetAudioClient(options.RemoteModel);

    public string Engine => "openai";

    public string Model => options.RemoteModel;

    public async Task<Transcript> TranscribeAsync(PcmAudio audio, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audio);
        using var wav = ToWav(audio);
        var request = new AudioTranscriptionOptions
        {
            Language = string.IsNullOrWhiteSpace(options.Language) || options.Language == "auto" ? null : options.Language,
        };
        try
        {
            var result = await _client.TranscribeAudioAsync(wav, "voice.wav", request, cancellationToken).ConfigureAwait(false);
            var text = result.Value.Text?.Trim() ?? string.Empty;
            return new Transcript(text, result.Value.Language ?? request.Language, [new TranscriptSegment(TimeSpan.Zero, audio.Duration, text)], Engine, Model, audio.Duration);
        }
        catch (ClientResultException ex)
        {
            throw new TranscriptionException($"the transcription server at {options.Endpoint} failed: {ex.Message}", ex);
        }
    }

    /// <summary>16 kHz mono 16-bit PCM WAV of the decoded audio.</summary>
    internal static MemoryStream ToWav(PcmAudio audio)
    {
        var stream = new MemoryStream();
        // NAudio 3 leaves a caller-supplied stream open when the writer is disposed.
        using (var writer = new WaveFileWriter(stream, new WaveFormat(PcmAudio.SampleRate, 16, 1)))
        {
            writer.WriteSamples(audio.Samples, 0, audio.Samples.Length);
        }

        stream.Position = 0;
        return stream;
    }

    public void Dispose()
    {
    }
}
