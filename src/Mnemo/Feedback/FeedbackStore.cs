using System.Data.Common;
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

/// <summary>What the user said of one memory.</summary>
/// <param name="Direct">Net votes on the memory itself (a digest's own memory counts its digest's votes).</param>
/// <param name="Cited">Net votes on the digests, signals and context notices that cited it: weaker evidence, so it only demotes or promotes.</param>
public readonly record struct MemoryRating(int Direct, int Cited)
{
    /// <summary>The user voted the memory itself down: it is left out of retained context and digests.</summary>
    public bool Rejected => Direct < 0;

    /// <summary>
    /// What the rating adds to a ranking score: a point per net 👍 on the memory (at most three) and
    /// 0.3 per net vote on the digests and signals that cited it (at most two either way), since
    /// there the user rated the summary, not the line.
    /// </summary>
    public double Boost => Math.Clamp(Direct, 0, 3) + (0.3 * Math.Clamp(Cited, -2, 2));
}

/// <summary>How the user rated memories (retained context and digests read it).</summary>
public interface IMemoryRatings
{
    /// <summary>The ratings of those of <paramref name="memoryIds"/> that have any; the others are left out.</summary>
    Task<IReadOnlyDictionary<long, MemoryRating>> GetAsync(IReadOnlyCollection<long> memoryIds, CancellationToken cancellationToken);
}

/// <summary>
/// The user's feedback in the store. One vote per target and person: rating again replaces the
/// earlier vote (a change of mind), it does not add to it.
/// </summary>
public sealed class FeedbackStore(IRecordDatabase store) : IMemoryRatings
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
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO feedback(target_kind, target_id, rating, comment, who, channel, at)
            VALUES (@kind, @target, @rating, @comment, @who, @channel, @at)
            ON CONFLICT(target_kind, target_id, who) DO UPDATE SET rating = excluded.rating, comment = COALESCE(excluded.comment, feedback.comment),
                channel = excluded.channel, at = excluded.at
                WHERE feedback.rating <> excluded.rating OR excluded.comment IS NOT NULL
            RETURNING id, at
            """;
        command.Bind("@kind", KindName(target));
        command.Bind("@target", targetId);
        command.Bind("@rating", rating);
        command.Bind("@comment", (object?)comment ?? DBNull.Value);
        command.Bind("@who", who);
        command.Bind("@channel", channel);
        command.Bind("@at", at.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return (new FeedbackRecord(reader.GetInt64(0), target, targetId, rating, comment, who, channel, at), true);
        }

        return (new FeedbackRecord(0, target, targetId, rating, comment, who, channel, at), false);
    }

    public Task<IReadOnlyDictionary<long, MemoryRating>> GetAsync(IReadOnlyCollection<long> memoryIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memoryIds);
        return memoryIds.Count == 0 ? Task.FromResult<IReadOnlyDictionary<long, MemoryRating>>(new Dictionary<long, MemoryRating>()) : RatingsAsync(memoryIds, cancellationToken);
    }

    /// <summary>Every memory the user's votes touch (directly, or through a rated digest or signal): what a digest of many memories checks against.</summary>
    public Task<IReadOnlyDictionary<long, MemoryRating>> GetAllAsync(CancellationToken cancellationToken) => RatingsAsync(null, cancellationToken);

    private async Task<IReadOnlyDictionary<long, MemoryRating>> RatingsAsync(IReadOnlyCollection<long>? memoryIds, CancellationToken cancellationToken)
    {
        // Only rated digests and signals are joined (a few hundred at most within the keep period),
        // and their cited ids are read in SQL (json_each, jsonb_array_elements) rather than loaded and parsed here.
        // A digest counts once per memory however many of its lines cite it.
        string Only(string column) => memoryIds is null ? string.Empty : $"AND {column} IN ({string.Join(',', memoryIds.Select((_, i) => $"@m{i}"))})";
        var sql = store.Dialect;
        var cited = sql.JsonInteger("cited");
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            WITH rated AS (
                SELECT target_kind, target_id, CAST(SUM(rating) AS INTEGER) AS net FROM feedback
                WHERE target_kind IN ('digest', 'signal', 'context') GROUP BY target_kind, target_id)
            SELECT target_id, CAST(SUM(rating) AS INTEGER), 0 FROM feedback WHERE target_kind = 'memory' {Only("target_id")} GROUP BY target_id
            UNION ALL
            SELECT d.memory_id, r.net, 0 FROM rated r JOIN digests d ON r.target_kind = 'digest' AND d.id = r.target_id WHERE d.memory_id IS NOT NULL {Only("d.memory_id")}
            UNION ALL
            SELECT c.memory, r.net, 1 FROM rated r JOIN (
                SELECT DISTINCT d.id AS digest, {cited} AS memory FROM digests d, {sql.JsonElements("d.lines", "line")}, {sql.JsonElements("line.value", "cited", "memoryIds")}
                WHERE d.id IN (SELECT target_id FROM rated WHERE target_kind = 'digest') {Only(cited)}) c
                ON r.target_kind = 'digest' AND r.target_id = c.digest
            UNION ALL
            SELECT {cited}, r.net, 1 FROM rated r JOIN signals s ON r.target_kind = 'signal' AND s.id = r.target_id,
                {sql.JsonElements("s.evidence", "cited")} WHERE 1 = 1 {Only(cited)}
            UNION ALL
            SELECT {cited}, r.net, 1 FROM rated r JOIN context_notices n ON r.target_kind = 'context' AND n.id = r.target_id,
                {sql.JsonElements("n.memory_ids", "cited")} WHERE 1 = 1 {Only(cited)}
            """;
        var index = 0;
        foreach (var id in memoryIds ?? [])
        {
            command.Bind($"@m{index++}", id);
        }

        var result = new Dictionary<long, MemoryRating>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (id, net, viaCitation) = (reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2) == 1);
            var rating = result.GetValueOrDefault(id);
            result[id] = viaCitation ? rating with { Cited = rating.Cited + net } : rating with { Direct = rating.Direct + net };
        }

        return result;
    }

    /// <summary>Up and down votes on each of these digests, signals, memories or notices (those without votes are left out).</summary>
    public async Task<IReadOnlyDictionary<long, (int Up, int Down)>> TotalsAsync(FeedbackTarget target, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var totals = new Dictionary<long, (int, int)>();
        if (ids.Count == 0)
        {
            return totals;
        }

        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT target_id, CAST(COUNT(*) FILTER (WHERE rating > 0) AS INTEGER), CAST(COUNT(*) FILTER (WHERE rating < 0) AS INTEGER) FROM feedback
            WHERE target_kind = @kind AND target_id IN ({string.Join(',', ids.Select((_, i) => $"@t{i}"))}) GROUP BY target_id
            """;
        command.Bind("@kind", KindName(target));
        var index = 0;
        foreach (var id in ids)
        {
            command.Bind($"@t{index++}", id);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            totals[reader.GetInt64(0)] = (reader.GetInt32(1), reader.GetInt32(2));
        }

        return totals;
    }

    /// <summary>Up and down votes per target kind per week (weeks start on Monday, UTC).</summary>
    public async Task<IReadOnlyList<FeedbackWeek>> WeeksAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var rows = new List<(DateOnly Day, FeedbackTarget Target, int Rating)>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT at, target_kind, rating FROM feedback WHERE at >= @since";
        command.Bind("@since", since.ToUnixTimeMilliseconds());
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
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM feedback WHERE at < @before";
        command.Bind("@before", before.ToUnixTimeMilliseconds());
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
