using System.Text;
using System.Text.Json;
using Mnemo.Domain;
using Mnemo.Text;

namespace Mnemo.Readers;

/// <summary>
/// Reads one OpenClaw transcript event (the same JSON in the JSONL and the SQLite era).
/// <c>message</c> entries become turns, <c>compaction</c> entries compactions and <c>reset</c>
/// entries (a session started over under the same id) resets; everything else
/// (session header, model changes, custom entries) holds no memory and yields null without a problem.
/// </summary>
internal static class OpenClawEvent
{
    public static ReadItem? Parse(JsonElement entry, string agent, string session, string source, long sequence, out string? problem)
    {
        problem = null;
        if (entry.ValueKind != JsonValueKind.Object)
        {
            problem = "entry is not a JSON object; skipped";
            return null;
        }

        return JsonValues.Text(entry, "type") switch
        {
            "message" => ParseMessage(entry, agent, session, source, sequence, out problem) is { } turn ? new TurnRead(turn) : VoiceNote(entry, agent, session),
            "compaction" => ParseCompaction(entry, agent, session, sequence, out problem) is { } compaction ? new CompactionRead(compaction) : null,
            "reset" => new ResetRead(new SessionReset(agent, session, sequence, JsonValues.Timestamp(entry, "timestamp") ?? DateTimeOffset.UnixEpoch, JsonValues.Text(entry, "reason"), "transcript")),
            _ => null,
        };
    }

    private static CompactionEvent? ParseCompaction(JsonElement entry, string agent, string session, long sequence, out string? problem)
    {
        problem = null;
        var entryId = JsonValues.Text(entry, "id");
        if (string.IsNullOrEmpty(entryId))
        {
            problem = "compaction entry without an id; skipped";
            return null;
        }

        var details = JsonValues.Property(entry, "details") is { ValueKind: JsonValueKind.Object } d
            ? new CompactionDetails(Strings(d, "readFiles"), Strings(d, "modifiedFiles"), JsonValues.Text(d, "latestUnresolvedUserRequest"))
            : CompactionDetails.Empty;
        return new CompactionEvent(
            agent,
            session,
            entryId,
            sequence,
            JsonValues.Timestamp(entry, "timestamp") ?? DateTimeOffset.UnixEpoch,
            JsonValues.Number(entry, "tokensBefore"),
            JsonValues.Number(entry, "tokensAfter"),
            JsonValues.Text(entry, "summary"),
            JsonValues.Text(entry, "firstKeptEntryId"),
            details,
            "transcript");
    }

    private static string[] Strings(JsonElement element, string name) =>
        JsonValues.Property(element, name) is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).Take(200).ToArray()
            : [];

    private static Turn? ParseMessage(JsonElement entry, string agent, string session, string source, long sequence, out string? problem)
    {
        problem = null;

        if (JsonValues.Property(entry, "message") is not { ValueKind: JsonValueKind.Object } message)
        {
            problem = "message entry without a message object; skipped";
            return null;
        }

        var entryId = JsonValues.Text(entry, "id");
        if (string.IsNullOrEmpty(entryId))
        {
            problem = "message entry without an id; skipped";
            return null;
        }

        var role = JsonValues.Text(message, "role") ?? "unknown";
        var text = ContentText(JsonValues.Property(message, "content"));
        var envelope = OpenClawEnvelope.Strip(text);
        if (envelope.Skip)
        {
            // Empty user messages are voice notes or attachments; their words arrive another way.
            return null;
        }

        var normalizedRole = role switch
        {
            "toolResult" => "tool",
            _ => role,
        };
        var timestamp = JsonValues.Timestamp(entry, "timestamp") ?? JsonValues.Timestamp(message, "timestamp");
        var provenance = new TurnProvenance(
            Speaker: null,
            Tool: normalizedRole == "tool" ? JsonValues.Text(message, "toolName") : null,
            Untrusted: envelope.Untrusted || FromAnotherSender(message));
        return new Turn(agent, session, entryId, JsonValues.Text(entry, "parentId"), normalizedRole, envelope.Text, timestamp, source, sequence, provenance);
    }

    /// <summary>
    /// A user message that carried a voice note (an audio file OpenClaw put in <c>media/inbound</c>,
    /// named in <c>__openclaw.media</c>): who sent it, for the voice note Mnemo transcribes.
    /// </summary>
    private static VoiceNoteRead? VoiceNote(JsonElement entry, string agent, string session)
    {
        if (JsonValues.Property(entry, "message") is not { ValueKind: JsonValueKind.Object } message
            || JsonValues.Text(message, "role") != "user"
            || JsonValues.Text(entry, "id") is not { Length: > 0 } entryId
            || JsonValues.Property(message, "__openclaw") is not { ValueKind: JsonValueKind.Object } meta
            || JsonValues.Property(meta, "media") is not { ValueKind: JsonValueKind.Array } media)
        {
            return null;
        }

        foreach (var item in media.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && JsonValues.Text(item, "kind") == "audio"
                && JsonValues.Text(item, "url") is { } url && url.StartsWith(InboundMedia, StringComparison.Ordinal)
                && Path.GetFileName(url[InboundMedia.Length..]) is { Length: > 0 } file)
            {
                bool? owner = JsonValues.Property(meta, "senderIsOwner") switch
                {
                    { ValueKind: JsonValueKind.True } => true,
                    { ValueKind: JsonValueKind.False } => false,
                    _ => null,
                };
                var at = JsonValues.Timestamp(entry, "timestamp") ?? JsonValues.Timestamp(message, "timestamp") ?? DateTimeOffset.UnixEpoch;
                return new VoiceNoteRead(new VoiceSender(file, agent, session, entryId, owner, at));
            }
        }

        return null;
    }

    private const string InboundMedia = "media://inbound/";

    /// <summary>
    /// OpenClaw marks who sent a user message when it knows (<c>__openclaw.senderIsOwner</c>): in a
    /// group, or from anyone else who can message the assistant, the words (a voice note OpenClaw
    /// transcribed included) are not the owner's and are kept as external content.
    /// </summary>
    private static bool FromAnotherSender(JsonElement message) =>
        JsonValues.Property(message, "__openclaw") is { ValueKind: JsonValueKind.Object } meta
        && JsonValues.Property(meta, "senderIsOwner") is { ValueKind: JsonValueKind.False };

    /// <summary>The visible text of a message: a plain string, or the text parts of a part array.</summary>
    private static string ContentText(JsonElement? content)
    {
        if (content is not { } value)
        {
            return string.Empty;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString() ?? string.Empty;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var builder = new StringBuilder();
        foreach (var part in value.EnumerateArray())
        {
            if (JsonValues.Text(part, "type") == "text" && JsonValues.Text(part, "text") is { Length: > 0 } partText)
            {
                if (builder.Length > 0)
                {
                    builder.Append('\n');
                }

                builder.Append(partText);
            }
        }

        return builder.ToString();
    }
}
