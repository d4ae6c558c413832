namespace Mnemo.Voice.Audio;

/// <summary>Decoded audio as the transcriber takes it: 16 kHz, mono, float samples in [-1, 1].</summary>
/// <param name="Format">What it was decoded from: wav, ogg-opus or mp3.</param>
/// <param name="SourceSampleRate">The file's own rate, before resampling.</param>
/// <param name="SourceChannels">The file's own channel count, before the down-mix.</param>
public sealed record PcmAudio(float[] Samples, string Format, int SourceSampleRate, int SourceChannels)
{
    public const int SampleRate = 16_000;

    public TimeSpan Duration => TimeSpan.FromSeconds(Samples.Length / (double)SampleRate);
}

/// <summary>An audio file that cannot be decoded; the message names the file and what is wrong.</summary>
public sealed class AudioFormatException : Exception
{
    public AudioFormatException()
    {
    }

    public AudioFormatException(string message)
        : base(message)
    {
    }

    public AudioFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
