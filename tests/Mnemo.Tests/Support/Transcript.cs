using System.Globalization;
using System.Text.Json;

namespace Mnemo.Tests.Support;

/// <summary>Writes OpenClaw transcript entries (the JSON both storage eras hold) for tests.</summary>
public sealed class Transcript
{
    private readonly List<string> _lines = [];
    private readonly DateTimeOffset _start;
    private string? _last;

    public Transcript(string sessionId, DateTimeOffset start)
    {
        SessionId = sessionId;
        _start = start;
        _lines.Add(JsonSerializer.Serialize(new { type = "session", version = 3, id = sessionId, timestamp = Time(0), cwd = "/tmp" }));
    }

    public string SessionId { get; }

    public IReadOnlyList<string> Lines => _lines;

    public string Message(string id, string role, string text, bool untrusted = false)
    {
        var content = untrusted ? $"<<<EXTERNAL_UNTRUSTED_CONTENT id=\"w1\">>>\n{text}\n<<<END_EXTERNAL_UNTRUSTED_CONTENT id=\"w1\">>>" : text;
        _lines.Add(JsonSerializer.Serialize(new
        {
            type = "message",
            id,
            parentId = _last,
            timestamp = Time(_lines.Count),
            message = new { role, content = new object[] { new { type = "text", text = content } } },
        }));
        _last = id;
        return id;
    }

    public void Compaction(string id, string firstKeptEntryId, string summary, long tokensBefore = 9000, string? unresolved = null)
    {
        _lines.Add(JsonSerializer.Serialize(new
        {
            type = "compaction",
            id,
            parentId = _last,
            timestamp = Time(_lines.Count),
            summary,
            firstKeptEntryId,
            tokensBefore,
            details = new { readFiles = new[] { "/home/u/notes.md" }, modifiedFiles = Array.Empty<string>(), latestUnresolvedUserRequest = unresolved },
        }));
        _last = id;
    }

    /// <summary>A reset entry, as OpenClaw's /new appends it: the session starts over under the same id.</summary>
    public void Reset(string id, string reason = "new")
    {
        _lines.Add(JsonSerializer.Serialize(new { type = "reset", id, parentId = _last, timestamp = Time(_lines.Count), reason }));
        _last = id;
    }

    public string Time(int minutes) => _start.AddMinutes(minutes).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public void WriteTo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, _lines);
    }

    public void AppendTo(string path, int fromLine) => File.AppendAllLines(path, _lines.Skip(fromLine));
}
