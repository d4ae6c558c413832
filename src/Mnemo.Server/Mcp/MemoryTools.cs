using System.ComponentModel;
using System.Globalization;
using System.Text;
using Mnemo.Domain;
using Mnemo.Retention;
using Mnemo.Search;
using Mnemo.Storage;
using Mnemo.Text;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace Mnemo.Server.Mcp;

/// <summary>
/// The MCP tools an agent reaches Mnemo's memory with. Results are short plain text, one line per
/// memory, each cited by memory id, date, agent/session and speaker; bad input is a tool error
/// that says which argument is wrong.
/// </summary>
[McpServerToolType]
public sealed class MemoryTools(MemoryEngine engine, McpForgetBudget forgetBudget)
{
    public const int MaxResults = 25;
    private const int MaxLineChars = 400;

    [McpServerTool(Name = "memory_search", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Search long-term memory of past conversations (every session, also from before compactions). Returns cited memories, best first.")]
    public async Task<string> SearchAsync(
        [Description("What to look for, in natural language or exact words (names, numbers, ticket ids).")] string query,
        [Description("How many results, 1 to 100.")] int k = 8,
        [Description("Only this agent's memories.")] string? agent = null,
        [Description("Only this session's memories.")] string? session = null,
        [Description("Only memories from this time on (ISO 8601).")] string? since = null,
        [Description("Only memories before this time (ISO 8601).")] string? until = null,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            throw new McpException("query must not be empty");
        }

        if (query.Length > 4000)
        {
            throw new McpException("query must be at most 4000 characters");
        }

        if (SearchRequest.CheckK(k) is { } problem)
        {
            throw new McpException(problem);
        }

        var filter = new MemoryFilter(agent, session, Since: ParseTime(since, nameof(since)), Until: ParseTime(until, nameof(until)));
        var hits = await engine.SearchAsync(new SearchRequest(query, k, filter), cancellationToken).ConfigureAwait(false);
        if (hits.Count == 0)
        {
            return "No memories match.";
        }

        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"{hits.Count} memories, best first:\n");
        foreach (var hit in hits)
        {
            builder.Append(Cite(hit.Memory, Shorten(hit.Memory.Text))).Append('\n');
        }

        return builder.ToString().TrimEnd();
    }

    [McpServerTool(Name = "memory_get", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Read memories in full by id (the ids memory_search cites).")]
    public async Task<string> GetAsync(
        [Description("Memory ids, at most 25.")] long[] ids,
        CancellationToken cancellationToken = default)
    {
        if (ids is null || ids.Length == 0 || ids.Length > MaxResults)
        {
            throw new McpException($"ids must hold 1 to {MaxResults} memory ids");
        }

        var found = (await engine.GetMemoriesAsync(ids.Distinct().ToList(), cancellationToken).ConfigureAwait(false)).ToDictionary(m => m.Id);
        var builder = new StringBuilder();
        foreach (var id in ids.Distinct())
        {
            builder.Append(found.TryGetValue(id, out var memory) ? Cite(memory, memory.Text) : string.Create(CultureInfo.InvariantCulture, $"[memory {id}] not found")).Append('\n');
        }

        return builder.ToString().TrimEnd();
    }

    [McpServerTool(Name = "remember", Destructive = false, Idempotent = true, OpenWorld = false)]
    [Description("Store a fact you were asked to keep (a preference, a decision, a detail). It is searchable at once and comes back in later sessions.")]
    public async Task<string> RememberAsync(
        [Description("The fact, as one or a few self-contained sentences.")] string text,
        [Description("The agent it belongs to (default main).")] string agent = "main",
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new McpException("text must not be empty");
        }

        if (text.Length > 8000)
        {
            throw new McpException("text must be at most 8000 characters; store the essentials");
        }

        if (string.IsNullOrWhiteSpace(agent) || agent.Length > 256)
        {
            throw new McpException("agent must be a non-empty id of at most 256 characters");
        }

        var memory = await engine.RememberAsync(agent, text, "mcp", cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture, $"Remembered as memory {memory.Id}.");
    }

    [McpServerTool(Name = "forget", Destructive = true, Idempotent = true, OpenWorld = false)]
    [Description("Delete memories for good (text, index entries, vectors) when the user asks to forget something: by ids, or by agent, session, time range or a search query. Run it with dryRun first to show the user what would go.")]
    public async Task<string> ForgetAsync(
        [Description("Memory ids, at most 25.")] long[]? ids = null,
        [Description("Everything of this agent (with the other filters).")] string? agent = null,
        [Description("Everything of this session.")] string? session = null,
        [Description("From this time (ISO 8601).")] DateTimeOffset? since = null,
        [Description("Before this time (ISO 8601).")] DateTimeOffset? until = null,
        [Description("The best matches of this search, within the filters.")] string? query = null,
        [Description("Only list what would be forgotten.")] bool dryRun = false,
        CancellationToken cancellationToken = default)
    {
        if (ids is { Length: > MaxResults })
        {
            throw new McpException($"ids must hold at most {MaxResults} memory ids");
        }

        IReadOnlyList<Memory> selected;
        try
        {
            selected = await engine.SelectForForgetAsync(new ForgetSelection(ids is { Length: > 0 } ? ids : null, agent, session, since, until, query, MaxResults), cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            throw new McpException(ex.Message);
        }

        if (selected.Count == 0)
        {
            return "Nothing matches; nothing forgotten.";
        }

        var listing = string.Join("\n", selected.Select(m => $"[m{m.Id}] {Fence.Label(m.Agent)}/{Fence.Label(m.Session)} {Fence.Label(m.Role)}: {Fence.Show(Retention.RecallText.Clip(m.Text, 100), m.Untrusted)}"));
        if (dryRun)
        {
            return $"{selected.Count} memories would be forgotten:\n{listing}";
        }

        if (!forgetBudget.TryTake(selected.Count))
        {
            throw new McpException($"nothing forgotten: the forget tool deletes at most {McpForgetBudget.PerHour} memories an hour, and these {selected.Count} would pass that; the user can forget more on the dashboard's search page or with 'mnemo forget'");
        }

        var forgotten = await engine.ForgetAsync([.. selected.Select(m => m.Id)], "mcp", cancellationToken).ConfigureAwait(false);
        var missing = (ids ?? []).Distinct().Except(forgotten).ToList();
        var text = $"Forgot memories {string.Join(", ", forgotten)}";
        return missing.Count == 0 ? text + "." : $"{text}; not found: {string.Join(", ", missing)}.";
    }

    [McpServerTool(Name = "recent_compactions", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("List recent compactions of the conversation (when the context was summarised and older turns left it), newest first, with their summaries.")]
    public async Task<string> RecentCompactionsAsync(
        [Description("Only this agent's compactions.")] string? agent = null,
        [Description("Only this session's compactions.")] string? session = null,
        [Description("How many, 1 to 25.")] int limit = 5,
        CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > MaxResults)
        {
            throw new McpException($"limit must be between 1 and {MaxResults}, not {limit}");
        }

        var list = await engine.Compactions.ListAsync(agent, session, since: null, limit, cancellationToken).ConfigureAwait(false);
        if (list.Count == 0)
        {
            return "No compactions recorded.";
        }

        var builder = new StringBuilder();
        foreach (var compaction in list)
        {
            var e = compaction.Event;
            builder.Append(CultureInfo.InvariantCulture, $"[compaction {compaction.Id}] {RecallText.When(e.Timestamp)} · {Fence.Label(e.Agent)}/{ShortId(e.Session)} · tokens {e.TokensBefore?.ToString(CultureInfo.InvariantCulture) ?? "?"} → {e.TokensAfter?.ToString(CultureInfo.InvariantCulture) ?? "?"}");
            if (compaction.FromSequence is { } from && compaction.ToSequence is { } to)
            {
                builder.Append(CultureInfo.InvariantCulture, $" · entries {from}..{to} left the context");
            }

            builder.Append('\n');
            if (e.Summary is { Length: > 0 } summary)
            {
                builder.Append("  summary: ").Append(Fence.Inline(Shorten(summary))).Append('\n');
            }
        }

        return builder.ToString().TrimEnd();
    }

    /// <summary>
    /// One line per memory, fenced as retained context is: every field on one line and neutralized,
    /// names short, external content quoted as data. A memory's text can never read as another
    /// memory or as the tool's own words.
    /// </summary>
    private static string Cite(Memory memory, string text) =>
        string.Create(CultureInfo.InvariantCulture, $"[memory {memory.Id}] {RecallText.When(memory.Timestamp)} · {Fence.Label(memory.Agent)}/{ShortId(memory.Session)} · {Fence.Label(memory.Speaker ?? memory.Role)}: {Fence.Show(text, memory.Untrusted)}");

    private static string ShortId(string session) => Fence.Label(session.Length > 12 ? session[..8] : session);

    private static string Shorten(string text) => RecallText.Clip(text, MaxLineChars);

    private static DateTimeOffset? ParseTime(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : throw new McpException($"{name}: '{value}' is not an ISO 8601 date or time");
    }
}
