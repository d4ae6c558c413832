using NAudio.Wave;
using NLayer;

namespace Mnemo.Voice.Audio;

/// <summary>Averages the channels of an interleaved source into one.</summary>
internal sealed class DownmixSampleProvider(ISampleProvider source) : ISampleProvider
{
    private readonly int _channels = source.WaveFormat.Channels;
    private float[] _buffer = [];

    public WaveFormat WaveFormat { get; } = WaveFormat.CreateIeeeFloatWaveFormat(source.WaveFormat.SampleRate, 1);

    public int Read(Span<float> buffer)
    {
        if (_channels == 1)
        {
            return source.Read(buffer);
        }

        var wanted = buffer.Length * _channels;
        if (_buffer.Length < wanted)
        {
            _buffer = new float[wanted];
        }

        var read = source.Read(_buffer.AsSpan(0, wanted));
        var frames = read / _channels;
        for (var frame = 0; frame < frames; frame++)
        {
            float sum = 0;
            for (var channel = 0; channel < _channels; channel++)
            {
                sum += _buffer[(frame * _channels) + channel];
            }

            buffer[frame] = sum / _channels;
        }

        return frames;
    }
}

/// <summary>MP3 frames decoded by NLayer (managed), as NAudio samples.</summary>
internal sealed class Mp3SampleProvider(MpegFile file) : ISampleProvider
{
    private float[] _buffer = [];

    public WaveFormat WaveFormat { get; } = WaveFormat.CreateIeeeFloatWaveFormat(file.SampleRate, file.Channels);

    public int Read(Span<float> buffer)
    {
        if (_buffer.Length < buffer.Length)
        {
            _buffer = new float[buffer.Length];
        }

        var read = file.ReadSamples(_buffer, 0, buffer.Length);
        _buffer.AsSpan(0, read).CopyTo(buffer);
        return read;
    }
}
