using System.Diagnostics;
using System.Numerics.Tensors;
using Mnemo.Tests.Support;
using Mnemo.Voice.Audio;
using NAudio.Wave;

namespace Mnemo.Tests.Voice;

/// <summary>Real speech through every decoder, compared with the original 16 kHz PCM.</summary>
public sealed class AudioDecoderTests
{
    private static readonly TimeSpan Max = TimeSpan.FromMinutes(30);

    private static float[] Jfk() => AudioDecoder.Decode(SharedData.Speech("jfk.wav"), Max).Samples;

    /// <summary>The best normalized cross-correlation of two signals over small time shifts (codecs delay the audio).</summary>
    private static double Similarity(float[] a, float[] b, int maxLag)
    {
        var best = 0.0;
        var length = Math.Min(a.Length, b.Length) - maxLag;
        var left = a.AsSpan(0, length);
        var leftNorm = TensorPrimitives.Norm(left);
        for (var lag = 0; lag < maxLag; lag++)
        {
            var right = b.AsSpan(lag, length);
            best = Math.Max(best, TensorPrimitives.Dot(left, right) / (leftNorm * TensorPrimitives.Norm(right)));
        }

        return best;
    }

    [Fact]
    public void Wav_16kMono_IsReadAsIs()
    {
        var audio = AudioDecoder.Decode(SharedData.Speech("jfk.wav"), Max);

        Assert.Equal("wav", audio.Format);
        Assert.Equal(16_000, audio.SourceSampleRate);
        Assert.Equal(176_000, audio.Samples.Length);
        Assert.InRange(TensorPrimitives.MaxMagnitude(audio.Samples), 0.1f, 1f);
    }

    [Fact]
    public void Wav_8k_IsResampledTo16k()
    {
        var audio = AudioDecoder.Decode(SharedData.Speech("OSR_us_000_0034_8k.wav"), Max);

        Assert.Equal(8_000, audio.SourceSampleRate);
        Assert.InRange(audio.Duration.TotalSeconds, 35.50, 35.60);
        Assert.True(TensorPrimitives.Norm(audio.Samples) > 1);
    }

    [Theory]
    [InlineData(16_000, 2, 24, false)]
    [InlineData(48_000, 1, 16, false)]
    [InlineData(44_100, 2, 32, true)]
    [InlineData(22_050, 1, 32, false)]
    public void Wav_AnyRateChannelsAndDepth_DecodesToTheSameSpeech(int rate, int channels, int bits, bool floating)
    {
        using var dir = new TempDirectory();
        var original = Jfk();
        var path = dir.File("speech.wav");
        // Resample with NAudio to the test's rate, then write every channel with the same signal.
        var resampled = Resample(original, 16_000, rate);
        var format = floating ? WaveFormat.CreateIeeeFloatWaveFormat(rate, channels) : new WaveFormat(rate, bits, channels);
        using (var writer = new WaveFileWriter(path, format))
        {
            var interleaved = resampled.SelectMany(s => Enumerable.Repeat(s, channels)).ToArray();
            writer.WriteSamples(interleaved, 0, interleaved.Length);
        }

        var audio = AudioDecoder.Decode(path, Max);

        Assert.Equal((rate, channels), (audio.SourceSampleRate, audio.SourceChannels));
        Assert.InRange(audio.Duration.TotalSeconds, 10.95, 11.05);
        Assert.True(Similarity(original, audio.Samples, 50) > 0.97);
    }

    [Fact]
    public void OggOpus_EncodedFromTheFixture_DecodesToTheSameSpeech()
    {
        using var dir = new TempDirectory();
        var original = Jfk();
        var path = dir.File("voice.ogg");
        File.WriteAllBytes(path, OggOpusWriter.Encode(original, 16_000));

        var audio = AudioDecoder.Decode(path, Max);

        Assert.Equal("ogg-opus", audio.Format);
        Assert.Equal(48_000, audio.SourceSampleRate);
        Assert.InRange(audio.Duration.TotalSeconds, 10.95, 11.05);
        Assert.True(Similarity(original, audio.Samples, 400) > 0.9);
    }

    [Fact]
    public async Task Mp3_EncodedFromTheFixtureWithLame_DecodesToTheSameSpeech()
    {
        using var dir = new TempDirectory();
        var path = dir.File("voice.mp3");
        var lame = Process.Start(new ProcessStartInfo("lame", ["--quiet", "-b", "64", SharedData.Speech("jfk.wav"), path]) { UseShellExecute = false })!;
        await lame.WaitForExitAsync();
        Assert.Equal(0, lame.ExitCode);

        var audio = AudioDecoder.Decode(path, Max);

        Assert.Equal("mp3", audio.Format);
        Assert.Equal(16_000, audio.SourceSampleRate);
        Assert.InRange(audio.Duration.TotalSeconds, 10.95, 11.2);
        Assert.True(Similarity(Jfk(), audio.Samples, 2000) > 0.9);
    }

    [Theory]
    [InlineData("empty", "is empty")]
    [InlineData("text", "not a WAV, Ogg/Opus or MP3 file")]
    [InlineData("truncated-wav", "voice.bin")]
    [InlineData("truncated-ogg", "truncated")]
    [InlineData("damaged-ogg", "checksum")]
    [InlineData("ogg-vorbis", "not Ogg/Opus")]
    public void BadInput_GetsAClearErrorNamingTheFile(string kind, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.File("voice.bin");
        var wav = File.ReadAllBytes(SharedData.Speech("jfk.wav"));
        var ogg = OggOpusWriter.Encode(Jfk()[..16_000], 16_000);
        byte[] bytes = kind switch
        {
            "empty" => [],
            "text" => "this is not audio at all, just text"u8.ToArray(),
            "truncated-wav" => wav[..30],
            "truncated-ogg" => ogg[..(ogg.Length - 37)],
            "damaged-ogg" => Damage(ogg, ogg.Length / 2),
            _ => OggOpusWriter.Page("\u0001vorbis\0\0\0\0\u0001\u0044\u00ac\0\0"u8, 0x02),
        };
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<AudioFormatException>(() => AudioDecoder.Decode(path, Max));

        Assert.Contains("voice.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoHourRecording_IsRefusedAtOnce_NamingTheLimit()
    {
        using var dir = new TempDirectory();
        var path = dir.File("long.wav");
        using (var writer = new WaveFileWriter(path, new WaveFormat(8_000, 8, 1)))
        {
            var second = new byte[8_000];
            for (var i = 0; i < 2 * 3600; i++)
            {
                writer.Write(second, 0, second.Length);
            }
        }

        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<AudioFormatException>(() => AudioDecoder.Decode(path, TimeSpan.FromHours(1)));

        Assert.Contains("02:00:00 long", error.Message, StringComparison.Ordinal);
        Assert.Contains("Voice:MaxDuration", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the limit was not applied before decoding");
    }

    private static byte[] Damage(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x5A;
        return copy;
    }

    private static float[] Resample(float[] samples, int from, int to)
    {
        if (from == to)
        {
            return samples;
        }

        var provider = new NAudio.Wave.SampleProviders.WdlResamplingSampleProvider(new ArraySampleProvider(samples, from), to);
        var result = new List<float>();
        var buffer = new float[4096];
        int read;
        while ((read = provider.Read(buffer)) > 0)
        {
            result.AddRange(buffer.AsSpan(0, read));
        }

        return [.. result];
    }

    private sealed class ArraySampleProvider(float[] samples, int rate) : ISampleProvider
    {
        private int _position;

        public WaveFormat WaveFormat { get; } = WaveFormat.CreateIeeeFloatWaveFormat(rate, 1);

        public int Read(Span<float> buffer)
        {
            var take = Math.Min(buffer.Length, samples.Length - _position);
            samples.AsSpan(_position, take).CopyTo(buffer);
            _position += take;
            return take;
        }
    }
}
