using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Unicode;
using Mnemo.Domain;

namespace Mnemo.Readers;

/// <summary>
/// Shared machinery of the JSON Lines readers: resumable reading by byte offset, a line-length
/// limit, UTF-8 validation and one clear issue per unreadable line.
/// </summary>
public abstract class JsonlTurnReader : ITurnReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    protected JsonlTurnReader(int maxLineBytes = JsonlFile.DefaultMaxLineBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLineBytes);
        MaxLineBytes = maxLineBytes;
    }

    public abstract string Format { get; }

    public int MaxLineBytes { get; }

    public async IAsyncEnumerable<ReadItem> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (offset, startLine) = JsonlFile.ParseCursor(request.Cursor);
        var state = CreateState(request);
        await foreach (var line in JsonlFile.ReadLinesAsync(request.Path, offset, startLine, MaxLineBytes, cancellationToken).ConfigureAwait(false))
        {
            if (line.TooLong)
            {
                yield return Issue(request, line.Number, $"line is longer than {MaxLineBytes / (1024 * 1024)} MiB; skipped");
                if (line.Terminated)
                {
                    yield return new CheckpointRead(JsonlFile.FormatCursor(line.NextOffset, line.Number));
                }

                continue;
            }

            if (IsBlank(line.Bytes.Span))
            {
                if (line.Terminated)
                {
                    yield return new CheckpointRead(JsonlFile.FormatCursor(line.NextOffset, line.Number));
                }

                continue;
            }

            ReadItem? read = null;
            string? problem = null;
            if (!Utf8.IsValid(line.Bytes.Span))
            {
                problem = "invalid UTF-8; line skipped";
            }
            else
            {
                try
                {
                    using var document = JsonDocument.Parse(line.Bytes, DocumentOptions);
                    read = ParseEntry(document.RootElement, line.Number, state, out problem);
                }
                catch (JsonException ex)
                {
                    problem = line.Terminated
                        ? $"malformed JSON ({ex.Message}); line skipped"
                        : "truncated line at end of file (no newline, not valid JSON); will be read again if the file grows";
                }
            }

            if (problem is not null)
            {
                yield return Issue(request, line.Number, problem);
            }

            if (read is not null)
            {
                yield return read;
            }

            // A truncated last line that did not parse may still be being written: do not move past it.
            if (line.Terminated || problem is null)
            {
                yield return new CheckpointRead(JsonlFile.FormatCursor(line.NextOffset, line.Number));
            }
        }
    }

    /// <summary>Per-source state created once per read (session id, agent id, ...).</summary>
    protected abstract object CreateState(ReadRequest request);

    /// <summary>Turns one JSON entry into a turn (or another item), or null when it holds no memory.</summary>
    /// <param name="problem">Set when the entry is malformed for this format.</param>
    protected abstract ReadItem? ParseEntry(JsonElement entry, long lineNumber, object state, out string? problem);

    private static IssueRead Issue(ReadRequest request, long line, string message) => new(new ReadIssue(request.Path, line, message));

    private static bool IsBlank(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                return false;
            }
        }

        return true;
    }
}
