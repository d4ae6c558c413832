using System.ComponentModel;
using System.Globalization;
using System.Text;
using Mnemo.Digests;
using Mnemo.Language;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace Mnemo.Server.Mcp;

/// <summary>Digests, signals and three-pass writing, for the agent's own use.</summary>
[McpServerToolType]
public sealed class DigestTools(Automation automation, TimeProvider time)
{
    [McpServerTool(Name = "three_pass", ReadOnly = false, Idempotent = false, OpenWorld = true)]
    [Description("Write something from memories with a draft, a critique against a rubric (faithful, complete, nothing invented, concise) and a refined version. Give memory ids or a query that finds the memories. Returns the refined text with [m<id>] citations.")]
    public async Task<string> ThreePassAsync(
        [Description("What to write, e.g. 'Summarize what we decided about the trip'.")] string task,
        [Description("Find the memories to write from with this search.")] string? query = null,
        [Description("Or: exactly these memory ids.")] long[]? memoryIds = null,
        [Description("Only this agent's memories (with query).")] string? agent = null,
        [Description("How many memories the query brings, 1 to 50.")] int k = 10,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(task) || task.Length > 8000)
        {
            throw new McpException("task is required, at most 8000 characters");
        }

        if (k is < 1 or > 50)
        {
            throw new McpException($"k must be between 1 and 50, not {k}");
        }

        try
        {
            var run = await automation.RunThreePassAsync("mcp", task, query, memoryIds, agent, k, cancellationToken).ConfigureAwait(false);
            return $"{run.Refined}\n\n(three-pass run {run.Id}; draft, critique and refined text are kept)";
        }
        catch (ArgumentException ex)
        {
            throw new McpException(ex.Message);
        }
        catch (LanguageModelException ex)
        {
            throw new McpException(ex.Message);
        }
    }

    [McpServerTool(Name = "digests", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("The latest hourly summaries, daily syncs or weekly syntheses, newest first.")]
    public async Task<string> DigestsAsync(
        [Description("hourly, daily or weekly; all kinds when left out.")] string? kind = null,
        [Description("Only this agent's digests.")] string? agent = null,
        [Description("How many, 1 to 10.")] int limit = 3,
        CancellationToken cancellationToken = default)
    {
        var parsed = DigestStore.ParseKind(kind);
        if (kind is not null && parsed is null)
        {
            throw new McpException($"kind must be hourly, daily or weekly, not '{kind}'");
        }

        if (limit is < 1 or > 10)
        {
            throw new McpException($"limit must be between 1 and 10, not {limit}");
        }

        var digests = await automation.Digests.Store.LatestAsync(parsed, agent, limit, cancellationToken).ConfigureAwait(false);
        return digests.Count == 0 ? "No digests yet." : string.Join("\n---\n", digests.Select(d => $"[{d.Handle}] {d.Text.Trim()}"));
    }

    [McpServerTool(Name = "signals", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Signals Mnemo found across the agents in the last days: shared topics, repeated requests, deadlines, unanswered questions, frustration, activity changes.")]
    public async Task<string> SignalsAsync(
        [Description("How many days back, 1 to 30.")] int days = 3,
        CancellationToken cancellationToken = default)
    {
        if (days is < 1 or > 30)
        {
            throw new McpException($"days must be between 1 and 30, not {days}");
        }

        var signals = await automation.Signals.Store.ListAsync(time.GetUtcNow() - TimeSpan.FromDays(days), null, null, 50, cancellationToken).ConfigureAwait(false);
        if (signals.Count == 0)
        {
            return "No signals.";
        }

        var text = new StringBuilder();
        foreach (var signal in signals)
        {
            text.Append(CultureInfo.InvariantCulture, $"[{signal.Handle}] {signal.Severity} {signal.Kind}: {signal.Title} (evidence {ExtractiveSummarizer.Cite(signal.Evidence.Take(5))})\n");
        }

        return text.ToString();
    }
}
