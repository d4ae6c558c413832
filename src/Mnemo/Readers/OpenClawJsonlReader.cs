using System.Text.Json;

namespace Mnemo.Readers;

/// <summary>OpenClaw transcripts up to 2026.7.1: one JSONL file per session.</summary>
public sealed class OpenClawJsonlReader : JsonlTurnReader
{
    public OpenClawJsonlReader(int maxLineBytes = JsonlFile.DefaultMaxLineBytes)
        : base(maxLineBytes)
    {
    }

    public override string Format => "openclaw";

    protected override object CreateState(ReadRequest request) => new FileState(
        request.Agent ?? OpenClawPaths.AgentFromPath(request.Path) ?? "main",
        OpenClawPaths.SessionFromFileName(request.Path),
        request.Path);

    protected override ReadItem? ParseEntry(JsonElement entry, long lineNumber, object state, out string? problem)
    {
        var file = (FileState)state;
        return OpenClawEvent.Parse(entry, file.Agent, file.Session, file.Source, lineNumber, out problem);
    }

    private sealed record FileState(string Agent, string Session, string Source);
}
