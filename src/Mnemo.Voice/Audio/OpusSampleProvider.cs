using System.Buffers.Binary;
using Concentus;
using NAudio.Wave;

namespace Mnemo.Voice.Audio;

/// <summary>
/// Ogg/Opus (RFC 7845), as Telegram sends voice notes: the OpusHead packet gives channels and
/// pre-skip, OpusTags is skipped, every further packet is decoded by Concentus at 48 kHz.
/// </summary>
internal sealed class OpusSampleProvider : ISampleProvider
{
    private const int MaxFrameSamples = 5760;
    private readonly OggPackets _packets;
    private readonly IOpusDecoder _decoder;
    private readonly string _name;
    private readonly float[] _frame;
    private int _frameLength;
    private int _frameOffset;
    private int _skip;

    public OpusSampleProvider(Stream stream, string name)
    {
        _name = name;
        _packets = new OggPackets(stream, name);
        var head = _packets.Next() ?? throw new AudioFormatException($"{name}: an empty Ogg stream");
        if (head.Length < 19 || !head.AsSpan(0, 8).SequenceEqual("OpusHead"u8))
        {
            throw new AudioFormatException($"{name}: an Ogg file, but not Ogg/Opus (Vorbis and other codecs are not supported)");
        }

        var channels = head[9];
        if (channels is < 1 or > 2)
        {
            throw new AudioFormatException($"{name}: Opus with {channels} channels is not supported (mono and stereo are)");
        }

        _skip = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(10)) * channels;
        if (_packets.Next() is not { } tags || !tags.AsSpan(0, Math.Min(8, tags.Length)).SequenceEqual("OpusTags"u8))
        {
            throw new AudioFormatException($"{name}: the Ogg/Opus stream has no OpusTags packet (damaged file)");
        }

        _decoder = OpusCodecFactory.CreateDecoder(48_000, channels);
        _frame = new float[MaxFrameSamples * channels];
        WaveFormat = WaveFormat.CreateIeeeFloatWaveFormat(48_000, channels);
    }

    public WaveFormat WaveFormat { get; }

    public int Read(Span<float> buffer)
    {
        var written = 0;
        while (written < buffer.Length)
        {
            if (_frameOffset >= _frameLength)
            {
                var packet = _packets.Next();
                if (packet is null)
                {
                    break;
                }

                int perChannel;
                try
                {
                    perChannel = _decoder.Decode(packet, _frame, MaxFrameSamples, false);
                }
                catch (Exception ex) when (ex is OpusException or ArgumentException or IndexOutOfRangeException)
                {
                    throw new AudioFormatException($"{_name}: an Opus packet cannot be decoded (damaged file): {ex.Message}", ex);
                }

                _frameLength = perChannel * WaveFormat.Channels;
                _frameOffset = Math.Min(_skip, _frameLength);
                _skip -= _frameOffset;
                continue;
            }

            var take = Math.Min(buffer.Length - written, _frameLength - _frameOffset);
            _frame.AsSpan(_frameOffset, take).CopyTo(buffer[written..]);
            written += take;
            _frameOffset += take;
        }

        return written;
    }
}
