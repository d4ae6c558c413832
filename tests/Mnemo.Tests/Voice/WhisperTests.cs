using Mnemo.Tests.Support;
using Mnemo.Voice;
using Mnemo.Voice.Audio;
using Mnemo.Voice.Transcription;

namespace Mnemo.Tests.Voice;

/// <summary>
/// whisper.cpp through Whisper.net with the test models whisper.cpp itself tests with. The tiny.en
/// model has empty weights: it proves the native path end to end, not accuracy.
/// </summary>
public sealed class WhisperTests
{
    private static VoiceOptions Options(string? vad = null) => new()
    {
        ModelPath = SharedData.Speech("for-tests-ggml-tiny.en.bin"),
        VadModelPath = vad,
        Language = "en",
        Threads = 2,
    };

    [Fact]
    public async Task Pipeline_RunsEndToEnd_OnRealSpeech()
    {
        using var dir = new TempDirectory();
        using var whisper = WhisperTranscriber.Open(Options(), dir.Path);
        var audio = AudioDecoder.Decode(SharedData.Speech("jfk.wav"), TimeSpan.FromMinutes(5));

        var transcript = await whisper.TranscribeAsync(audio, CancellationToken.None);

        Assert.Equal("whisper.cpp", transcript.Engine);
        Assert.Equal("for-tests-ggml-tiny.en.bin", transcript.Model);
        Assert.Equal(TimeSpan.FromSeconds(11), transcript.Duration);
        Assert.NotNull(transcript.Text);
    }

    [Fact]
    public void SileroVad_FindsTheFourSpeechSegmentsOfJfk()
    {
        using var dir = new TempDirectory();
        using var whisper = WhisperTranscriber.Open(Options(SharedData.Speech("for-tests-silero-v6.2.0-ggml.bin")), dir.Path);
        var audio = AudioDecoder.Decode(SharedData.Speech("jfk.wav"), TimeSpan.FromMinutes(5));

        var segments = whisper.SpeechSegments(audio);

        Assert.Equal(4, segments.Count);
        Assert.InRange(segments[0].Start.TotalSeconds, 0.1, 0.6);
        Assert.InRange(segments[^1].End.TotalSeconds, 10.3, 11.0);
        Assert.All(segments.Zip(segments.Skip(1)), pair => Assert.True(pair.First.End < pair.Second.Start));
    }

    [Fact]
    public void MissingModel_SaysWhichCommandFetchesIt()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<TranscriptionException>(() => WhisperTranscriber.Open(new VoiceOptions { Model = "base.en" }, dir.Path));

        Assert.Contains("mnemo voice models pull base.en", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(dir.Path, "models", "ggml-base.en.bin"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NotAModel_IsAClearError()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<TranscriptionException>(() => WhisperTranscriber.Open(new VoiceOptions { ModelPath = SharedData.Speech("jfk.wav") }, dir.Path));

        Assert.Contains("not a Whisper ggml model", error.Message, StringComparison.Ordinal);
    }
}
