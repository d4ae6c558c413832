using System.Buffers;
using System.Runtime.CompilerServices;

namespace Mnemo.Readers;

/// <summary>
/// Streams the lines of a JSON Lines file as bytes from a byte offset, with a limit on line length
/// so a runaway line (tens of megabytes) is skipped instead of exhausting memory. Written by hand
/// because the BCL's readers decode to strings (hiding invalid UTF-8 and byte offsets) and have no
/// length limit.
/// </summary>
internal static class JsonlFile
{
    public const int DefaultMaxLineBytes = 16 * 1024 * 1024;

    public static async IAsyncEnumerable<JsonlLine> ReadLinesAsync(
        string path,
        long startOffset,
        long startLine,
        int maxLineBytes,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        });
        if (startOffset > stream.Length)
        {
            // The file shrank (rotated or rewritten): read it again from the start.
            startOffset = 0;
            startLine = 0;
        }

        stream.Seek(startOffset, SeekOrigin.Begin);
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var line = new ArrayBufferWriter<byte>(4096);
        var tooLong = false;
        var offset = startOffset;
        var lineNumber = startLine;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
            {
                var span = chunk.AsMemory(0, read);
                while (!span.IsEmpty)
                {
                    var newline = span.Span.IndexOf((byte)'\n');
                    var part = newline < 0 ? span : span[..newline];
                    if (!tooLong)
                    {
                        if (line.WrittenCount + part.Length > maxLineBytes)
                        {
                            tooLong = true;
                            line.Clear();
                        }
                        else
                        {
                            line.Write(part.Span);
                        }
                    }

                    offset += part.Length;
                    if (newline < 0)
                    {
                        break;
                    }

                    offset += 1;
                    span = span[(newline + 1)..];
                    lineNumber++;
                    yield return new JsonlLine(lineNumber, tooLong ? default : TrimCarriageReturn(line.WrittenMemory.ToArray()), offset, Terminated: true, tooLong);
                    line.Clear();
                    tooLong = false;
                }
            }

            if (line.WrittenCount > 0 || tooLong)
            {
                lineNumber++;
                yield return new JsonlLine(lineNumber, tooLong ? default : TrimCarriageReturn(line.WrittenMemory.ToArray()), offset, Terminated: false, tooLong);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static ReadOnlyMemory<byte> TrimCarriageReturn(byte[] bytes) =>
        bytes.Length > 0 && bytes[^1] == (byte)'\r' ? bytes.AsMemory(0, bytes.Length - 1) : bytes;

    /// <summary>Cursor format shared by the JSONL readers: <c>offset:line</c>.</summary>
    public static string FormatCursor(long offset, long line) => FormattableString.Invariant($"{offset}:{line}");

    public static (long Offset, long Line) ParseCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return (0, 0);
        }

        var parts = cursor.Split(':');
        return parts.Length == 2
            && long.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var offset)
            && long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var line)
            && offset >= 0 && line >= 0
            ? (offset, line)
            : (0, 0);
    }
}
