using System.Text.Json;
using Mnemo.Tests.Support;
using Mnemo.Voice;
using Mnemo.Voice.Audio;
using Mnemo.Voice.Transcription;
using NAudio.Wave;

namespace Mnemo.Tests.Voice;

/// <summary><c>mnemo transcribe</c> as OpenClaw calls it, and the OpenAI-compatible engine over real HTTP.</summary>
public sealed class TranscribeTests
{
    [Fact]
    public async Task Transcribe_PrintsOnlyTheTranscriptOnStdout_AndExits0()
    {
        using var dir = new TempDirectory();

        var (code, stdout, stderr) = await CliProcess.RunAsync(dir.Path, "transcribe", SharedData.Speech("jfk.wav"), "--model", SharedData.Speech("for-tests-ggml-tiny.en.bin"), "--language", "en");
        var (jsonCode, json, _) = await CliProcess.RunAsync(dir.Path, "transcribe", SharedData.Speech("OSR_us_000_0034_8k.wav"), "--model", SharedData.Speech("for-tests-ggml-tiny.en.bin"), "--json");

        Assert.True(code == 0, stderr);
        // The loader-test model has no weights, so the words are not checked; stdout must hold nothing but them.
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Length > 0).DefaultIfEmpty(string.Empty));
        Assert.DoesNotContain("whisper_", stdout, StringComparison.Ordinal);
        Assert.Equal(0, jsonCode);
        var transcript = JsonDocument.Parse(json).RootElement;
        // The runtime Whisper.net loaded is reported: the CPU build on this machine (no GPU build is served here).
        Assert.Equal("whisper.cpp (Cpu)", transcript.GetProperty("engine").GetString());
        Assert.InRange(transcript.GetProperty("durationSeconds").GetDouble(), 35.5, 35.6);
    }

    [Fact]
    public async Task Transcribe_NamesTheFix_ForAMissingModel_AndTheFile_ForBadAudio()
    {
        using var dir = new TempDirectory();
        var junk = dir.File("note.ogg");
        await File.WriteAllTextAsync(junk, "OggS but not really an ogg file at all");

        var (missingCode, _, missing) = await CliProcess.RunAsync(dir.Path, "transcribe", SharedData.Speech("jfk.wav"));
        var (badCode, _, bad) = await CliProcess.RunAsync(dir.Path, "transcribe", junk, "--model", SharedData.Speech("for-tests-ggml-tiny.en.bin"));
        var (absentCode, _, absent) = await CliProcess.RunAsync(dir.Path, "transcribe", dir.File("nothing.wav"));

        Assert.Equal(2, missingCode);
        Assert.Contains("mnemo voice models pull base", missing, StringComparison.Ordinal);
        Assert.Equal(1, badCode);
        Assert.Contains("note.ogg", bad, StringComparison.Ordinal);
        Assert.Equal(1, absentCode);
        Assert.Contains("nothing.wav", absent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAiEngine_SendsTheDecodedAudioAsWav_AndReturnsTheText()
    {
        await using var server = await FakeChatServer.StartAsync();
        var options = new VoiceOptions { Engine = "openai", Endpoint = server.OpenAiEndpoint, RemoteModel = "whisper-large-v3", Language = "en", ApiKey = "sk-audio" };
        using var transcriber = TranscriberFactory.Create(options, Path.GetTempPath());
        var audio = AudioDecoder.Decode(SharedData.Speech("OSR_us_000_0034_8k.wav"), TimeSpan.FromMinutes(5));

        var transcript = await transcriber.TranscribeAsync(audio, CancellationToken.None);

        Assert.Equal(server.Transcription, transcript.Text);
        Assert.Equal("openai", transcript.Engine);
        Assert.Equal("whisper-large-v3", transcript.Model);
        var (bytes, name, fields) = Assert.Single(server.Transcriptions);
        Assert.Equal("voice.wav", name);
        Assert.Equal("whisper-large-v3", fields["model"]);
        Assert.Equal("en", fields["language"]);
        using var sent = new WaveFileReader(new MemoryStream(bytes));
        Assert.Equal((16_000, 1, 16), (sent.WaveFormat.SampleRate, sent.WaveFormat.Channels, sent.WaveFormat.BitsPerSample));
        Assert.Equal(audio.Samples.Length, (int)(sent.Length / 2));
    }

    [Fact]
    public async Task OpenAiEngine_ServerError_IsATranscriptionError()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.FailNext(10);
        using var transcriber = TranscriberFactory.Create(new VoiceOptions { Engine = "openai", Endpoint = server.OpenAiEndpoint }, Path.GetTempPath());
        var audio = AudioDecoder.Decode(SharedData.Speech("jfk.wav"), TimeSpan.FromMinutes(5));

        var error = await Assert.ThrowsAsync<TranscriptionException>(() => transcriber.TranscribeAsync(audio, CancellationToken.None));
        Assert.Contains(server.OpenAiEndpoint, error.Message, StringComparison.Ordinal);
    }
}
