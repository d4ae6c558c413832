using System.Buffers.Binary;
using Concentus;
using Concentus.Enums;
namespace Mnemo.Voice.Audio;

/// <summary>
/// Encodes PCM to an Ogg/Opus file the way Telegram's voice notes are made (RFC 7845: OpusHead,
/// OpusTags, one Opus packet of 20 ms per page), so tests and benchmarks can decode real Opus made
/// from real audio.
/// </summary>
internal static class OggOpusWriter
{
    public static byte[] Encode(float[] samples, int sampleRate)
    {
        var encoder = OpusCodecFactory.CreateEncoder(sampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP);
        encoder.Bitrate = 24_000;
        const int preSkip = 312;
        using var output = new MemoryStream();
        uint sequence = 0;
        var head = new byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = 1;
        head[9] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), preSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), (uint)sampleRate);
        WritePage(output, head, 0, 0x02, sequence++);
        var tags = new byte[8 + 4 + 5 + 4];
        "OpusTags"u8.CopyTo(tags);
        BinaryPrimitives.WriteUInt32LittleEndian(tags.AsSpan(8), 5);
        "mnemo"u8.CopyTo(tags.AsSpan(12));
        WritePage(output, tags, 0, 0, sequence++);

        var frame = sampleRate / 50;
        var packet = new byte[1500];
        long granule = preSkip;
        for (var start = 0; start < samples.Length; start += frame)
        {
            var pcm = new float[frame];
            samples.AsSpan(start, Math.Min(frame, samples.Length - start)).CopyTo(pcm);
            var length = encoder.Encode(pcm, frame, packet, packet.Length);
            granule += 960;
            var last = start + frame >= samples.Length;
            WritePage(output, packet.AsSpan(0, length), granule, last ? (byte)0x04 : (byte)0, sequence++);
        }

        return output.ToArray();
    }

    /// <summary>One Ogg page holding one packet (for streams of other codecs).</summary>
    public static byte[] Page(ReadOnlySpan<byte> packet, byte flags)
    {
        using var output = new MemoryStream();
        WritePage(output, packet, 0, flags, 0);
        return output.ToArray();
    }

    private static void WritePage(Stream output, ReadOnlySpan<byte> packet, long granule, byte flags, uint sequence)
    {
        var segments = new List<byte>();
        var remaining = packet.Length;
        while (remaining >= 255)
        {
            segments.Add(255);
            remaining -= 255;
        }

        segments.Add((byte)remaining);
        var header = new byte[27];
        "OggS"u8.CopyTo(header);
        header[5] = flags;
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(6), granule);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(14), 0x4D4E454D);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(18), sequence);
        header[26] = (byte)segments.Count;
        var crc = OggCrc.Page(header, segments.ToArray(), packet);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(22), crc);
        output.Write(header);
        output.Write(segments.ToArray());
        output.Write(packet);
    }
}
