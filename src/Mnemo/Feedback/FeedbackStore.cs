using Mnemo.Storage;

namespace Mnemo.Feedback;

/// <summary>What was rated.</summary>
public enum FeedbackTarget
{
    Digest,
    Signal,
    Memory,
    Context,
}

/// <summary>One rating: 👍 (+1) or 👎 (-1), by whom, when, through which channel.</summary>
public sealed record FeedbackRecord(long Id, FeedbackTarget Target, long TargetId, int Rating, string? Comment, string Who, string Channel, DateTimeOffset At);

/// <summary>Ratings of one kind of target in one week.</summary>
public sealed record FeedbackWeek(DateOnly WeekStart, FeedbackTarget Target, int Up, int Down)
{
    public double Approval => Up + Down == 0 ? 0 : (double)Up / (Up + Down);
}

/// <summary>How the user rated memories: net rating per memory id (retained context reads it).</summary>
public interface IMemoryRatings
{
    Task<IReadOnlyDictionary<long, int>> GetAsync(IReadOnlyCollection<long> memoryIds, CancellationToken cancellationToken);
}

/// <summary>
/// The user's feedback in the store. One vote per target and person: rating again replaces the
/// earlier vote (a change of mind), it does not add to it.
/// </summary>
public sealed class FeedbackStore(SqliteMemoryStore store) : IMemoryRatings
{
    /// <summary>Records (or replaces) a vote; returns it and whether it changed anything.</summary>
    public async Task<(FeedbackRecord Record, bool Changed)> RecordAsync(FeedbackTarget target, long targetId, int rating, string? comment, string who, string channel, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (rating is not (1 or -1))
        {
            throw new ArgumentOutOfRangeException(nameof(rating), rating, "a rating is +1 (up) or -1 (down)");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(who);
        ArgumentException.ThrowIfNullOrWhiteSpace(channel);
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO feedback(target_kind, target_id, rating, comment, who, channel, at)
            VALUES ($kind, $target, $rating, $comment, $who, $channel, $at)
            ON CONFLICT(target_kind, target_id, who) DO UPDATE SET rating = excluded.rating, comment = COALESCE(excluded.comment, feedback.comment),
                channel = excluded.channel, at = excluded.at
                WHERE feedback.rating <> excluded.rating OR excluded.comment IS NOT NULL
            RETURNING id, at
            """;
        command.Parameters.AddWithValue("$kind", KindName(target));
        command.Parameters.AddWithValue("$target", targetId);
        command.Parameters.AddWithValue("$rating", rating);
        command.Parameters.AddWithValue("$comment", (object?)comment ?? DBNull.Value);
        command.Parameters.AddWithValue("$who", who);
        command.Parameters.AddWithValue("$channel", channel);
        command.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return (new FeedbackRecord(reader.GetInt64(0), target, targetId, rating, comment, who, channel, at), true);
        }

        return (new FeedbackRecord(0, target, targetId, rating, comment, who, channel, at), false);
    }

    public async Task<IReadOnlyDictionary<long, int>> GetAsync(IReadOnlyCollection<long> memoryIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memoryIds);
        var result = new Dictionary<long, int>();
        if (memoryIds.Count == 0)
        {
            return result;
        }

        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT target_id, SUM(rating) FROM feedback WHERE target_kind = 'memory' AND target_id IN ({string.Join(',', memoryIds.Select((_, i) => $"$m{i}"))}) GROUP BY target_id";
        var index = 0;
        foreach (var id in memoryIds)
        {
            command.Parameters.AddWithValue($"$m{index++}", id);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result[reader.GetInt64(0)] = reader.GetInt32(1);
        }

        return result;
    }

    /// <summary>Up and down votes per target kind per week (weeks start on Monday, UTC).</summary>
    public async Task<IReadOnlyList<FeedbackWeek>> WeeksAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var rows = new List<(DateOnly Day, FeedbackTarget Target, int Rating)>();
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT at, target_kind, rating FROM feedback WHERE at >= $since";
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add((DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)).UtcDateTime), ParseKind(reader.GetString(1)), reader.GetInt32(2)));
        }

        return rows
            .GroupBy(r => (Week: r.Day.AddDays(-(((int)r.Day.DayOfWeek + 6) % 7)), r.Target))
            .OrderBy(g => g.Key.Week)
            .ThenBy(g => g.Key.Target)
            .Select(g => new FeedbackWeek(g.Key.Week, g.Key.Target, g.Count(r => r.Rating > 0), g.Count(r => r.Rating < 0)))
            .ToList();
    }

    /// <summary>Deletes feedback older than <paramref name="before"/> (the retention job); returns how many.</summary>
    public async Task<int> DeleteBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM feedback WHERE at < $before";
        command.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static string KindName(FeedbackTarget target) => target switch
    {
        FeedbackTarget.Digest => "digest",
        FeedbackTarget.Signal => "signal",
        FeedbackTarget.Memory => "memory",
        _ => "context",
    };

    public static FeedbackTarget ParseKind(string name) => name switch
    {
        "digest" => FeedbackTarget.Digest,
        "signal" => FeedbackTarget.Signal,
        "memory" => FeedbackTarget.Memory,
        "context" => FeedbackTarget.Context,
        _ => throw new ArgumentException($"'{name}' is not something that can be rated; use digest, signal, memory or context"),
    };
}
