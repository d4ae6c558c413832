using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Mnemo.Retention;
using Mnemo.Storage;

namespace Mnemo.Feedback;

/// <summary>
/// What Mnemo brought back into a conversation after a compaction, told to the user once per
/// compaction so they can rate it (target <c>context</c>, <c>c&lt;id&gt;</c> on the buttons).
/// </summary>
public sealed record ContextNotice(long Id, long CompactionId, string Agent, string Session, IReadOnlyList<long> MemoryIds, string Text, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt)
{
    public string Handle => $"c{Id}";
}

/// <summary>The notices in the store; the first context built after each compaction makes one.</summary>
public sealed class ContextNoticeStore(IRecordDatabase store) : IForgetListener
{
    /// <summary>A notice citing a forgotten memory goes: its text quotes it.</summary>
    public Task OnForgottenAsync(IReadOnlyList<long> memoryIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memoryIds);
        return memoryIds.Count == 0 ? Task.CompletedTask : store.ExecuteAsync($"DELETE FROM context_notices WHERE EXISTS (SELECT 1 FROM {store.Dialect.JsonElements("context_notices.memory_ids", "cited")} WHERE {store.Dialect.JsonInteger("cited")} IN ({RecordSql.IdList(memoryIds)}))", cancellationToken);
    }

    /// <summary>Items shown in a notice; the rest are counted.</summary>
    public const int MaxItems = 8;

    private const string Columns = "id, compaction_id, agent, session, memory_ids, text, created_at, delivered_at";

    private readonly ConcurrentDictionary<long, byte> _noted = new();

    /// <summary>
    /// Records the notice for the context's compaction, unless there is one already (only the first
    /// injection after a compaction is news). Returns whether this call recorded it.
    /// </summary>
    public async Task<bool> RecordAsync(string agent, string? session, RetainedContext context, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var brought = context.Items.Where(i => i.Origin == "compaction" && i.MemoryId > 0).ToList();
        if (context.CompactionId is not { } compaction || brought.Count == 0 || !_noted.TryAdd(compaction, 0))
        {
            return false;
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"**Mnemo brought back {brought.Count} things after {agent}'s conversation was compacted**\n");
        foreach (var item in brought.Take(MaxItems))
        {
            // Delivered to the user through the agent: external words stay quoted and marked.
            var words = RecallText.Clip(item.Text, 200);
            text.Append("- ").Append(item.Untrusted ? Text.Fence.QuoteInProse(words) : Text.Fence.Inline(words)).Append('\n');
        }

        if (brought.Count > MaxItems)
        {
            text.Append(CultureInfo.InvariantCulture, $"- and {brought.Count - MaxItems} more\n");
        }

        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO context_notices(compaction_id, agent, session, memory_ids, text, created_at)
            VALUES (@compaction, @agent, @session, @memories, @text, @at)
            ON CONFLICT(compaction_id) DO NOTHING
            """;
        command.Bind("@compaction", compaction);
        command.Bind("@agent", agent);
        command.Bind("@session", session ?? string.Empty);
        command.Bind("@memories", JsonSerializer.Serialize(brought.Select(i => i.MemoryId).Distinct().ToList(), MnemoJsonContext.Default.ListInt64));
        command.Bind("@text", text.ToString());
        command.Bind("@at", at.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>Notices not delivered yet, made since <paramref name="since"/>, oldest first.</summary>
    public async Task<IReadOnlyList<ContextNotice>> PendingAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var result = new List<ContextNotice>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM context_notices WHERE delivered_at IS NULL AND created_at >= @since ORDER BY id LIMIT 100";
        command.Bind("@since", since.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(Read(reader));
        }

        return result;
    }

    /// <summary>The notices of these compactions, by compaction id.</summary>
    public async Task<IReadOnlyDictionary<long, ContextNotice>> ForCompactionsAsync(IReadOnlyCollection<long> compactionIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(compactionIds);
        var notices = new Dictionary<long, ContextNotice>();
        if (compactionIds.Count == 0)
        {
            return notices;
        }

        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM context_notices WHERE compaction_id IN ({string.Join(',', compactionIds.Select((_, i) => $"@c{i}"))})";
        var index = 0;
        foreach (var id in compactionIds)
        {
            command.Bind($"@c{index++}", id);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var notice = Read(reader);
            notices[notice.CompactionId] = notice;
        }

        return notices;
    }

    public Task MarkDeliveredAsync(long id, DateTimeOffset at, CancellationToken cancellationToken) =>
        store.MarkDeliveredAsync("context_notices", id, at, cancellationToken);

    private static ContextNotice Read(DbDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetInt64(1),
        reader.GetString(2),
        reader.GetString(3),
        JsonSerializer.Deserialize(reader.GetString(4), MnemoJsonContext.Default.ListInt64) ?? [],
        reader.GetString(5),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        reader.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)));
}
