using NAudio.Wave;
using NAudio.Wave.SampleProviders;
using NLayer;

namespace Mnemo.Voice.Audio;

/// <summary>
/// Decodes a voice note to what Whisper takes: 16 kHz mono float. WAV (any rate and channel count,
/// 8/16/24/32-bit integer or float) through NAudio, Ogg/Opus through Concentus, MP3 through NLayer;
/// channels averaged, then resampled with NAudio's WDL resampler. The format is told by the file's
/// first bytes, not its name. Decoding streams, and stops with a clear error at
/// <paramref name="maxDuration"/>, so a huge file never fills memory.
/// </summary>
public static class AudioDecoder
{
    /// <exception cref="AudioFormatException">Empty, truncated, damaged, too long, or not audio.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static PcmAudio Decode(string path, TimeSpan maxDuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        return Decode(stream, Path.GetFileName(path), maxDuration);
    }

    public static PcmAudio Decode(Stream stream, string name, TimeSpan maxDuration)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var head = new byte[12];
        var got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (got == 0)
        {
            throw new AudioFormatException($"{name}: the file is empty");
        }

        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            copy.Write(head, 0, got);
            stream.CopyTo(copy);
            stream = copy;
        }

        stream.Position = 0;
        var format = Detect(head.AsSpan(0, got));
        try
        {
            return format switch
            {
                "wav" => ReadWav(stream, name, maxDuration),
                "ogg-opus" => Read(new OpusSampleProvider(stream, name), "ogg-opus", name, maxDuration),
                "mp3" => ReadMp3(stream, name, maxDuration),
                _ => throw new AudioFormatException($"{name}: not a WAV, Ogg/Opus or MP3 file"),
            };
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or EndOfStreamException or ArgumentException or InvalidOperationException or NotSupportedException or IndexOutOfRangeException)
        {
            throw new AudioFormatException($"{name}: the {format} data cannot be decoded ({ex.Message})", ex);
        }
    }

    /// <summary>wav, ogg-opus (any Ogg, checked later), mp3, or null.</summary>
    internal static string? Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WAVE"u8))
        {
            return "wav";
        }

        if (head.Length >= 4 && head[..4].SequenceEqual("OggS"u8))
        {
            return "ogg-opus";
        }

        // An ID3 tag, or an MPEG audio frame sync (11 bits set) of layer III.
        if ((head.Length >= 3 && head[..3].SequenceEqual("ID3"u8)) || (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xE6) == 0xE2))
        {
            return "mp3";
        }

        return null;
    }

    private static PcmAudio ReadWav(Stream stream, string name, TimeSpan maxDuration)
    {
        using var reader = new WaveFileReader(stream);
        if (reader.TotalTime > maxDuration)
        {
            throw new AudioFormatException($"{name}: {reader.TotalTime:hh\\:mm\\:ss} long, more than the {maxDuration} Voice:MaxDuration allows");
        }

        return Read(reader.ToSampleProvider(), "wav", name, maxDuration);
    }

    private static PcmAudio ReadMp3(Stream stream, string name, TimeSpan maxDuration)
    {
        using var file = new MpegFile(stream);
        if (file.SampleRate <= 0 || file.Channels <= 0)
        {
            throw new AudioFormatException($"{name}: no MP3 frames found");
        }

        return Read(new Mp3SampleProvider(file), "mp3", name, maxDuration);
    }

    private static PcmAudio Read(ISampleProvider source, string format, string name, TimeSpan maxDuration)
    {
        var rate = source.WaveFormat.SampleRate;
        var channels = source.WaveFormat.Channels;
        if (rate is < 4_000 or > 384_000 || channels is < 1 or > 32)
        {
            throw new AudioFormatException($"{name}: {rate} Hz with {channels} channels is not a voice recording Mnemo can read");
        }

        ISampleProvider mono = new DownmixSampleProvider(source);
        ISampleProvider pcm = rate == PcmAudio.SampleRate ? mono : new WdlResamplingSampleProvider(mono, PcmAudio.SampleRate);
        var limit = (long)(maxDuration.TotalSeconds * PcmAudio.SampleRate);
        var samples = new List<float>(capacity: PcmAudio.SampleRate * 30);
        var buffer = new float[PcmAudio.SampleRate];
        int read;
        while ((read = pcm.Read(buffer)) > 0)
        {
            if (samples.Count + read > limit)
            {
                throw new AudioFormatException($"{name}: longer than the {maxDuration} Voice:MaxDuration allows");
            }

            samples.AddRange(buffer.AsSpan(0, read));
        }

        if (samples.Count == 0)
        {
            throw new AudioFormatException($"{name}: the {format} file holds no audio");
        }

        return new PcmAudio([.. samples], format, rate, channels);
    }
}
