using Mnemo.Storage;

namespace Mnemo.Retention;

/// <summary>A memory the user pinned: always brought back into its agent's context.</summary>
public sealed record Pin(long MemoryId, string Agent, DateTimeOffset PinnedAt, string Who);

/// <summary>Pinned memories, in the records database (so every node of a shared store sees them).</summary>
public sealed class PinStore(IRecordDatabase store) : IForgetListener
{
    /// <summary>At most this many pinned memories are brought back per context (the oldest pins first).</summary>
    public const int MaxPerAgent = 20;

    /// <summary>Pins a memory (again: no change); returns whether it was new.</summary>
    public async Task<bool> PinAsync(long memoryId, string agent, string who, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agent);
        ArgumentException.ThrowIfNullOrWhiteSpace(who);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO pins(memory_id, agent, pinned_at, who) VALUES (@memory, @agent, @at, @who) ON CONFLICT(memory_id) DO NOTHING";
        command.Bind("@memory", memoryId).Bind("@agent", agent).Bind("@at", at.ToUnixTimeMilliseconds()).Bind("@who", who);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    public async Task<bool> UnpinAsync(long memoryId, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM pins WHERE memory_id = @memory";
        command.Bind("@memory", memoryId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>A forgotten memory is no longer pinned.</summary>
    public Task OnForgottenAsync(IReadOnlyList<long> memoryIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memoryIds);
        return memoryIds.Count == 0 ? Task.CompletedTask : store.ExecuteAsync($"DELETE FROM pins WHERE memory_id IN ({RecordSql.IdList(memoryIds)})", cancellationToken);
    }

    /// <summary>The pins of an agent (every agent when null), oldest first.</summary>
    public async Task<IReadOnlyList<Pin>> ListAsync(string? agent, CancellationToken cancellationToken)
    {
        var pins = new List<Pin>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT memory_id, agent, pinned_at, who FROM pins WHERE @agent IS NULL OR agent = @agent ORDER BY pinned_at, memory_id";
        command.BindText("@agent", agent);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            pins.Add(new Pin(reader.GetInt64(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)), reader.GetString(3)));
        }

        return pins;
    }
}
