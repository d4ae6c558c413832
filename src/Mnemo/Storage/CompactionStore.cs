using System.Data.Common;
using System.Text.Json;
using Mnemo.Domain;

namespace Mnemo.Storage;

/// <summary>
/// Records compactions in the store. The same compaction can arrive twice, once from the bridge
/// plugin (right away, without summary) and once from the transcript (with everything): the two
/// are merged into one record when they are for the same session and close in time.
/// </summary>
public sealed class CompactionStore
{
    /// <summary>A plugin report and a transcript entry this close in time are the same compaction.</summary>
    public static readonly TimeSpan MergeWindow = TimeSpan.FromMinutes(10);

    private const string Columns = "id, agent, session, session_key, entry_id, seq, at, tokens_before, tokens_after, summary, first_kept_entry_id, from_seq, to_seq, details, origin, recorded_at";
    private readonly IRecordDatabase _store;
    private readonly TimeProvider _time;
    private readonly Text.Redactor _redactor;

    /// <param name="redactor">Cuts secrets out of summaries and requests before they are stored.</param>
    public CompactionStore(IRecordDatabase store, TimeProvider time, Text.Redactor? redactor = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _time = time;
        _redactor = redactor ?? Text.Redactor.None;
    }

    /// <summary>Records a compaction (idempotent); returns the record and whether it was new.</summary>
    public async Task<(Compaction Compaction, bool Added)> RecordAsync(CompactionEvent compaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(compaction);
        if (_redactor.IsActive)
        {
            compaction = compaction with
            {
                Summary = compaction.Summary is { } summary ? _redactor.Apply(summary) : null,
                Details = compaction.Details with { LatestUnresolvedRequest = compaction.Details.LatestUnresolvedRequest is { } request ? _redactor.Apply(request) : null },
            };
        }

        await using var connection = await _store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        Compaction? existing = null;
        if (compaction.EntryId is not null)
        {
            existing = await FindOneAsync(connection, transaction, "agent = @agent AND session = @session AND entry_id = @entry", compaction, cancellationToken).ConfigureAwait(false)
                ?? await FindOneAsync(connection, transaction, "agent = @agent AND session = @session AND entry_id IS NULL AND at BETWEEN @from AND @to ORDER BY ABS(at - @at)", compaction, cancellationToken).ConfigureAwait(false);
        }
        else if (compaction.SessionKey is not null)
        {
            // A plugin report completes a record no report has completed yet (one with a session
            // key had its report): in a run of compactions the report can arrive before its
            // transcript entry, when the nearest record is the previous, finished compaction.
            existing = await FindOneAsync(connection, transaction, "agent = @agent AND session = @session AND session_key IS NULL AND at BETWEEN @from AND @to ORDER BY ABS(at - @at)", compaction, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            existing = await FindOneAsync(connection, transaction, "agent = @agent AND session = @session AND at BETWEEN @from AND @to ORDER BY ABS(at - @at)", compaction, cancellationToken).ConfigureAwait(false);
        }

        Compaction result;
        bool added;
        if (existing is null)
        {
            var (from, to) = compaction.Sequence is null ? (null, null) : await SpanAsync(connection, transaction, compaction, cancellationToken).ConfigureAwait(false);
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO compactions(agent, session, session_key, entry_id, seq, at, tokens_before, tokens_after, summary, first_kept_entry_id, from_seq, to_seq, details, origin, recorded_at)
                VALUES (@agent, @session, @key, @entry, @seq, @at, @before, @after, @summary, @kept, @fromSeq, @toSeq, @details, @origin, @now)
                RETURNING id
                """;
            Bind(insert, compaction);
            insert.Bind("@fromSeq", (object?)from ?? DBNull.Value);
            insert.Bind("@toSeq", (object?)to ?? DBNull.Value);
            insert.Bind("@now", now.ToUnixTimeMilliseconds());
            var id = (long)(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            result = new Compaction(id, compaction, from, to, now);
            added = true;
        }
        else if (existing.Event.EntryId is null && compaction.EntryId is not null)
        {
            // The transcript entry completes what the plugin reported; the plugin's token count
            // stays when the entry has none.
            var merged = compaction with
            {
                TokensBefore = compaction.TokensBefore ?? existing.Event.TokensBefore,
                TokensAfter = compaction.TokensAfter ?? existing.Event.TokensAfter,
                SessionKey = compaction.SessionKey ?? existing.Event.SessionKey,
            };
            var (from, to) = await SpanAsync(connection, transaction, merged, cancellationToken).ConfigureAwait(false);
            await using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE compactions SET session_key = @key, entry_id = @entry, seq = @seq, at = @at, tokens_before = @before, tokens_after = @after,
                    summary = @summary, first_kept_entry_id = @kept, from_seq = @fromSeq, to_seq = @toSeq, details = @details, origin = @origin
                WHERE id = @id
                """;
            Bind(update, merged);
            update.Bind("@fromSeq", (object?)from ?? DBNull.Value);
            update.Bind("@toSeq", (object?)to ?? DBNull.Value);
            update.Bind("@id", existing.Id);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            result = new Compaction(existing.Id, merged, from, to, existing.RecordedAt);
            added = false;
        }
        else if (compaction.EntryId is null
            && ((existing.Event.TokensBefore is null && compaction.TokensBefore is not null) || (existing.Event.SessionKey is null && compaction.SessionKey is not null)))
        {
            // The plugin's report came after the transcript entry: it adds what the entry lacks.
            await using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = "UPDATE compactions SET tokens_before = COALESCE(tokens_before, @before), session_key = COALESCE(session_key, @key) WHERE id = @id";
            update.Bind("@before", (object?)compaction.TokensBefore ?? DBNull.Value);
            update.Bind("@key", (object?)compaction.SessionKey ?? DBNull.Value);
            update.Bind("@id", existing.Id);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            result = existing with
            {
                Event = existing.Event with
                {
                    TokensBefore = existing.Event.TokensBefore ?? compaction.TokensBefore,
                    SessionKey = existing.Event.SessionKey ?? compaction.SessionKey,
                },
            };
            added = false;
        }
        else
        {
            result = existing;
            added = false;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (result, added);
    }

    /// <summary>The latest compaction of a session, or null.</summary>
    public async Task<Compaction?> GetLatestAsync(string agent, string session, CancellationToken cancellationToken)
    {
        var list = await ListAsync(agent, session, since: null, limit: 1, cancellationToken).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    /// <summary>Compactions, newest first, optionally for one agent or session and since a time.</summary>
    public async Task<IReadOnlyList<Compaction>> ListAsync(string? agent, string? session, DateTimeOffset? since, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await _store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (agent is not null)
        {
            where.Add("agent = @agent");
            command.Bind("@agent", agent);
        }

        if (session is not null)
        {
            where.Add("session = @session");
            command.Bind("@session", session);
        }

        if (since is { } from)
        {
            where.Add("at >= @since");
            command.Bind("@since", from.ToUnixTimeMilliseconds());
        }

        command.CommandText = $"SELECT {Columns} FROM compactions{(where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty)} ORDER BY at DESC, id DESC LIMIT @limit";
        command.Bind("@limit", limit);
        var result = new List<Compaction>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(Read(reader));
        }

        return result;
    }

    /// <summary>
    /// Where this compaction cut the session: entries from just after the previous compaction's cut
    /// up to the entry before <c>firstKeptEntryId</c>. When the kept entry is not a stored memory
    /// (a voice note, an entry that holds no text), the cut is placed just before the compaction.
    /// </summary>
    private static async Task<(long? From, long? To)> SpanAsync(DbConnection connection, DbTransaction transaction, CompactionEvent compaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT (SELECT MIN(seq) FROM memories WHERE agent = @agent AND session = @session AND entry_id = @kept),
                   (SELECT to_seq FROM compactions WHERE agent = @agent AND session = @session AND seq < @seq AND to_seq IS NOT NULL ORDER BY seq DESC LIMIT 1)
            """;
        command.Bind("@agent", compaction.Agent);
        command.Bind("@session", compaction.Session);
        command.Bind("@kept", (object?)compaction.FirstKeptEntryId ?? DBNull.Value);
        command.Bind("@seq", (object?)compaction.Sequence ?? long.MaxValue);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        long? kept = reader.IsDBNull(0) ? null : reader.GetInt64(0);
        long? previous = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        var to = kept is { } k ? k - 1 : (compaction.Sequence ?? 1) - 1;
        var from = previous is { } p && p + 1 <= to ? p + 1 : 0;
        return (from, to);
    }

    private static async Task<Compaction?> FindOneAsync(DbConnection connection, DbTransaction transaction, string where, CompactionEvent compaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM compactions WHERE {where} LIMIT 1";
        command.Bind("@agent", compaction.Agent);
        command.Bind("@session", compaction.Session);
        command.Bind("@entry", (object?)compaction.EntryId ?? DBNull.Value);
        var at = compaction.Timestamp.ToUnixTimeMilliseconds();
        command.Bind("@at", at);
        command.Bind("@from", at - (long)MergeWindow.TotalMilliseconds);
        command.Bind("@to", at + (long)MergeWindow.TotalMilliseconds);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    private static void Bind(DbCommand command, CompactionEvent compaction)
    {
        command.Bind("@agent", compaction.Agent);
        command.Bind("@session", compaction.Session);
        command.Bind("@key", (object?)compaction.SessionKey ?? DBNull.Value);
        command.Bind("@entry", (object?)compaction.EntryId ?? DBNull.Value);
        command.Bind("@seq", (object?)compaction.Sequence ?? DBNull.Value);
        command.Bind("@at", compaction.Timestamp.ToUnixTimeMilliseconds());
        command.Bind("@before", (object?)compaction.TokensBefore ?? DBNull.Value);
        command.Bind("@after", (object?)compaction.TokensAfter ?? DBNull.Value);
        command.Bind("@summary", (object?)compaction.Summary ?? DBNull.Value);
        command.Bind("@kept", (object?)compaction.FirstKeptEntryId ?? DBNull.Value);
        command.Bind("@details", JsonSerializer.Serialize(compaction.Details, MnemoJsonContext.Default.CompactionDetails));
        command.Bind("@origin", compaction.Origin);
    }

    private static Compaction Read(DbDataReader reader)
    {
        static long? Int(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
        static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
        CompactionDetails details;
        try
        {
            details = JsonSerializer.Deserialize(reader.GetString(13), MnemoJsonContext.Default.CompactionDetails) ?? CompactionDetails.Empty;
        }
        catch (JsonException)
        {
            details = CompactionDetails.Empty;
        }

        var compaction = new CompactionEvent(
            reader.GetString(1), reader.GetString(2), Text(reader, 4), Int(reader, 5),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)), Int(reader, 7), Int(reader, 8), Text(reader, 9), Text(reader, 10),
            details, reader.GetString(14), Text(reader, 3));
        return new Compaction(reader.GetInt64(0), compaction, Int(reader, 11), Int(reader, 12), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(15)));
    }
}
