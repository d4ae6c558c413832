using System.Buffers.Binary;

namespace Mnemo.Voice.Audio;

/// <summary>
/// Reads the packets of one logical stream out of an Ogg file (RFC 3533): pages checked for the
/// capture pattern, version and CRC, packets re-assembled across segments and pages. Written by
/// hand: Concentus 2.2 decodes Opus but no longer parses Ogg, and Concentus.Oggfile is not served here.
/// </summary>
internal sealed class OggPackets(Stream stream, string name)
{
    private const int MaxPacketBytes = 1 << 20;
    private readonly byte[] _header = new byte[27];
    private readonly byte[] _segments = new byte[255];
    private readonly Queue<byte[]> _ready = new();
    private readonly System.Buffers.ArrayBufferWriter<byte> _partial = new();
    private uint? _serial;
    private bool _ended;

    /// <summary>The next packet, or null at the end of the stream.</summary>
    /// <exception cref="AudioFormatException">A page is damaged or the stream ends inside a packet.</exception>
    public byte[]? Next()
    {
        while (_ready.Count == 0)
        {
            if (_ended || !ReadPage())
            {
                if (_partial.WrittenCount > 0)
                {
                    throw new AudioFormatException($"{name}: the Ogg stream ends in the middle of a packet (truncated file)");
                }

                return null;
            }
        }

        return _ready.Dequeue();
    }

    private bool ReadPage()
    {
        var got = ReadFully(_header);
        if (got == 0)
        {
            return false;
        }

        if (got < _header.Length || _header[0] != 'O' || _header[1] != 'g' || _header[2] != 'g' || _header[3] != 'S')
        {
            throw new AudioFormatException($"{name}: not an Ogg page at byte {stream.Position - got} (damaged or truncated file)");
        }

        if (_header[4] != 0)
        {
            throw new AudioFormatException($"{name}: Ogg version {_header[4]} is not supported");
        }

        var flags = _header[5];
        var serial = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(14));
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(22));
        var count = _header[26];
        if (ReadFully(_segments.AsSpan(0, count)) < count)
        {
            throw new AudioFormatException($"{name}: the Ogg stream ends inside a page header (truncated file)");
        }

        var length = 0;
        for (var i = 0; i < count; i++)
        {
            length += _segments[i];
        }

        var body = new byte[length];
        if (ReadFully(body) < length)
        {
            throw new AudioFormatException($"{name}: the Ogg stream ends inside a page (truncated file)");
        }

        var check = OggCrc.Page(_header, _segments.AsSpan(0, count), body);
        if (check != crc)
        {
            throw new AudioFormatException($"{name}: an Ogg page fails its checksum (damaged file)");
        }

        // Only the first logical stream (a voice note has one).
        _serial ??= serial;
        if (serial != _serial)
        {
            return true;
        }

        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            System.Buffers.BuffersExtensions.Write(_partial, body.AsSpan(offset, _segments[i]));
            offset += _segments[i];
            if (_partial.WrittenCount > MaxPacketBytes)
            {
                throw new AudioFormatException($"{name}: an Ogg packet is larger than {MaxPacketBytes} bytes (damaged file)");
            }

            if (_segments[i] < 255)
            {
                _ready.Enqueue(_partial.WrittenSpan.ToArray());
                _partial.ResetWrittenCount();
            }
        }

        if ((flags & 0x04) != 0)
        {
            _ended = true;
        }

        return true;
    }

    private int ReadFully(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = stream.Read(buffer[total..]);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}

/// <summary>Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected, initial value 0), over a page with its CRC field zeroed.</summary>
internal static class OggCrc
{
    private static readonly uint[] Table = BuildTable();

    public static uint Page(ReadOnlySpan<byte> header, ReadOnlySpan<byte> segments, ReadOnlySpan<byte> body)
    {
        uint crc = 0;
        for (var i = 0; i < header.Length; i++)
        {
            crc = Step(crc, i is >= 22 and < 26 ? (byte)0 : header[i]);
        }

        foreach (var b in segments)
        {
            crc = Step(crc, b);
        }

        foreach (var b in body)
        {
            crc = Step(crc, b);
        }

        return crc;
    }

    private static uint Step(uint crc, byte value) => (crc << 8) ^ Table[(crc >> 24) ^ value];

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var r = i << 24;
            for (var bit = 0; bit < 8; bit++)
            {
                r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04C11DB7 : r << 1;
            }

            table[i] = r;
        }

        return table;
    }
}
