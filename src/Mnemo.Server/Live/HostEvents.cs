using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mnemo.Domain;
using Mnemo.Readers;

namespace Mnemo.Server.Live;

/// <summary>
/// What the bridge plugin reports (<c>POST /v1/events/{kind}</c>): compactions as they happen, and
/// session activity, which wakes the transcript follower so new turns are stored within a second.
/// </summary>
public sealed partial class HostEvents(MemoryEngine engine, IngestSignal signal, TimeProvider time, ILogger<HostEvents> logger)
{
    public static readonly IReadOnlyList<string> Kinds = ["before_compaction", "after_compaction", "compaction", "agent_end", "message_received", "session_start", "before_reset", "session_end"];

    private readonly ConcurrentDictionary<(string Agent, string Session), long> _tokensBefore = new();

    /// <summary>Handles one event; returns the compaction it recorded, if any.</summary>
    /// <exception cref="ArgumentException">The event lacks a field its kind needs (the message names it).</exception>
    public async Task<Compaction?> HandleAsync(string kind, JsonElement body, CancellationToken cancellationToken)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("the event body must be a JSON object");
        }

        var sessionKey = Text(body, "sessionKey");
        var agent = Text(body, "agentId") ?? AgentFromSessionKey(sessionKey) ?? "main";
        var session = Text(body, "sessionId");
        var at = JsonValues.Timestamp(body, "timestamp") ?? time.GetUtcNow();
        LogEvent(logger, kind, agent);
        switch (kind)
        {
            case "before_compaction":
                if (session is not null && Number(body, "tokenCount") is { } tokens)
                {
                    _tokensBefore[(agent, session)] = tokens;
                }

                return null;

            case "after_compaction":
                {
                    var id = session ?? throw new ArgumentException("sessionId is required for after_compaction");
                    _tokensBefore.TryRemove((agent, id), out var before);
                    var compaction = new CompactionEvent(agent, id, null, null, at, before > 0 ? before : null, null, null, null, CompactionDetails.Empty, "plugin", sessionKey);
                    var recorded = await engine.RecordCompactionAsync(compaction, cancellationToken).ConfigureAwait(false);

                    // The transcript now holds the compaction entry with its summary: read it at once.
                    signal.Poke();
                    return recorded;
                }

            case "compaction":
                {
                    var id = session ?? throw new ArgumentException("sessionId is required for compaction");
                    var compaction = new CompactionEvent(
                        agent, id, Text(body, "entryId"), null, at, Number(body, "tokensBefore"), Number(body, "tokensAfter"),
                        Text(body, "summary"), Text(body, "firstKeptEntryId"), CompactionDetails.Empty, "plugin", sessionKey);
                    return await engine.RecordCompactionAsync(compaction, cancellationToken).ConfigureAwait(false);
                }

            case "session_start" or "before_reset":
                // Which session ids a key has had: the next one under it is a reset, and the
                // retained context treats what the earlier ones held as having left the context.
                if (sessionKey is not null && session is not null)
                {
                    if (Text(body, "resumedFrom") is { } previous && previous != session)
                    {
                        await engine.SessionKeys.ObserveAsync(agent, sessionKey, previous, at.AddMilliseconds(-1), cancellationToken).ConfigureAwait(false);
                    }

                    await engine.SessionKeys.ObserveAsync(agent, sessionKey, session, at, cancellationToken).ConfigureAwait(false);
                }

                // OpenClaw's /new may keep the session id and start it over: what it held has left the context.
                if (kind == "before_reset" && session is not null)
                {
                    await engine.Resets.RecordAsync(new SessionReset(agent, session, null, at, Text(body, "reason"), "plugin"), cancellationToken).ConfigureAwait(false);
                }

                signal.Poke();
                return null;

            case "agent_end" or "message_received" or "session_end":
                signal.Poke();
                return null;

            default:
                throw new KeyNotFoundException($"unknown event kind '{kind}'; known kinds: {string.Join(", ", Kinds)}");
        }
    }

    /// <summary>The agent id in an OpenClaw session key (<c>agent:&lt;id&gt;:...</c>).</summary>
    public static string? AgentFromSessionKey(string? sessionKey)
    {
        if (sessionKey is null || !sessionKey.StartsWith("agent:", StringComparison.Ordinal))
        {
            return null;
        }

        var end = sessionKey.IndexOf(':', 6);
        var id = end < 0 ? sessionKey[6..] : sessionKey[6..end];
        return id.Length > 0 ? id : null;
    }

    private static string? Text(JsonElement body, string name) =>
        JsonValues.Text(body, name) is { Length: > 0 and <= 512 } text ? text : null;

    private static long? Number(JsonElement body, string name) =>
        JsonValues.Number(body, name) is >= 0 and var number ? number : null;

    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Host event {Kind} for agent {Agent}")]
    private static partial void LogEvent(ILogger logger, string kind, string agent);
}
