using System.Text.Json;
using Mnemo.Domain;

namespace Mnemo.Readers;

/// <summary>
/// A plain chat log, one JSON object per line:
/// <c>{"role","content","timestamp","session","agent"}</c> (only role and content are required).
/// </summary>
public sealed class ChatJsonlReader : JsonlTurnReader
{
    public ChatJsonlReader(int maxLineBytes = JsonlFile.DefaultMaxLineBytes)
        : base(maxLineBytes)
    {
    }

    public override string Format => "chat-jsonl";

    protected override object CreateState(ReadRequest request) => request;

    protected override ReadItem? ParseEntry(JsonElement entry, long lineNumber, object state, out string? problem)
    {
        var request = (ReadRequest)state;
        problem = null;
        if (entry.ValueKind != JsonValueKind.Object)
        {
            problem = "entry is not a JSON object; skipped";
            return null;
        }

        var role = JsonValues.Text(entry, "role");
        var content = JsonValues.Text(entry, "content");
        if (string.IsNullOrWhiteSpace(role) || content is null)
        {
            problem = "entry needs \"role\" and \"content\" strings; skipped";
            return null;
        }

        if (Roles.Normalize(role) is not { } known)
        {
            problem = $"role \"{Text.Fence.Label(role)}\" is not one of {string.Join(", ", Roles.Accepted)}; skipped";
            return null;
        }

        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        var agent = request.Agent ?? JsonValues.Text(entry, "agent") ?? "default";
        var session = JsonValues.Text(entry, "session") ?? Path.GetFileNameWithoutExtension(request.Path);
        var entryId = JsonValues.Text(entry, "id") ?? FormattableString.Invariant($"L{lineNumber}");
        return new TurnRead(new Turn(agent, session, entryId, null, known, content.Trim(), JsonValues.Timestamp(entry, "timestamp"), request.Path, lineNumber, TurnProvenance.Default));
    }
}
