using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Mnemo.Domain;
using Mnemo.Storage.Schema;

namespace Mnemo.Storage;

/// <summary>
/// The embedded store: one SQLite database in WAL mode, the source of truth for memories, their
/// embeddings, the FTS5 index, cursors and the audit log. Every batch is one transaction.
/// A connection per operation (pooled) lets searches run while an ingest writes. The statements
/// both databases share are in <see cref="SqlMemoryStore"/>; this is SQLite's dialect: the FTS5
/// table kept beside the rows (contentless, so the text lives once), id lists as JSON, and
/// SQLite's own checks.
/// </summary>
public sealed class SqliteMemoryStore : SqlMemoryStore
{
    private readonly string _connectionString;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Documents, long Size)> _termCounts = new(StringComparer.Ordinal);

    private SqliteMemoryStore(string path, TimeProvider time)
        : base(time)
    {
        DatabasePath = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string DatabasePath { get; }

    public override string Location => DatabasePath;

    public override SqlDialect Dialect => SqlDialect.Sqlite;

    protected override string ModelMismatchAdvice => "Use the same model, or ingest into a new data directory.";

    protected override string DatabaseSizeSql => "(SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size())";

    /// <summary>Opens (creating if needed) the database and applies pending migrations.</summary>
    public static async Task<SqliteMemoryStore> OpenAsync(string path, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(time);
        var store = new SqliteMemoryStore(Path.GetFullPath(path), time);
        await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
        return store;
    }

    protected override async Task<DbConnection> OpenStoreConnectionAsync(CancellationToken cancellationToken) =>
        await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>A pooled connection with Mnemo's settings (busy timeout, foreign keys, memory-mapped reads).</summary>
    public async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var pragma = connection.CreateCommand();
        // Memory-mapped reads and a larger page cache: search touches scattered pages of a large file.
        pragma.CommandText = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 268435456; PRAGMA cache_size = -16384;";
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var version = Convert.ToInt32(await ScalarAsync(connection, "PRAGMA user_version", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (version > StoreSchema.Steps.Count)
        {
            throw new InvalidOperationException($"{DatabasePath} has schema version {version}, newer than this Mnemo ({StoreSchema.Steps.Count}); upgrade Mnemo.");
        }

        for (var i = version; i < StoreSchema.Steps.Count; i++)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = StoreSchema.Render(SqlDialect.Sqlite, i) + FormattableString.Invariant($"\nPRAGMA user_version = {i + 1};");
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
    /// <summary>BEGIN IMMEDIATE: the transaction takes SQLite's one write lock at once.</summary>
    protected override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    /// <summary>An id list as one JSON parameter: one short statement to prepare however many ids there are.</summary>
    protected override string InIds(DbCommand command, string column, IEnumerable<long> ids, string name = "@ids")
    {
        command.Bind(name, "[" + string.Join(',', ids.Select(id => id.ToString(CultureInfo.InvariantCulture))) + "]");
        return $"{column} IN (SELECT value FROM json_each({name}))";
    }

    protected override string InKeys(DbCommand command, string column, IReadOnlyCollection<byte[]> keys) =>
        keys.Count == 0 ? "0 = 1" : $"{column} IN ({Parameters(command, keys)})";

    /// <summary>The FTS5 rows of memories just written: the words, the speaker, the date words.</summary>
    protected override async Task IndexTextAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(long Id, NewMemory Memory, bool Replaced)> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await using var delete = Command(connection, transaction, "DELETE FROM memories_fts WHERE rowid = @id");
        var deleteId = Parameter(delete, "@id", System.Data.DbType.Int64);
        await using var insert = Command(connection, transaction, "INSERT INTO memories_fts(rowid, body, speaker, context) VALUES (@id, @body, @speaker, @context)");
        var (id, body, speaker, context) = (Parameter(insert, "@id", System.Data.DbType.Int64), Parameter(insert, "@body", System.Data.DbType.String), Parameter(insert, "@speaker", System.Data.DbType.String), Parameter(insert, "@context", System.Data.DbType.String));
        foreach (var row in rows)
        {
            if (row.Replaced)
            {
                deleteId.Value = row.Id;
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            (id.Value, body.Value, speaker.Value, context.Value) = (row.Id, row.Memory.Text, (object?)row.Memory.Speaker ?? DBNull.Value, row.Memory.IndexContext);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task RemoveTextAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        await using var delete = Command(connection, transaction, "DELETE FROM memories_fts WHERE rowid = @id");
        var id = Parameter(delete, "@id", System.Data.DbType.Int64);
        foreach (var memory in ids)
        {
            id.Value = memory;
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// BM25 candidates for the query's terms, best first (score: higher is better). In a large store
    /// a term that matches more than 5% of the memories (and over 5,000 of them) is dropped when
    /// rarer terms remain: scoring tens of thousands of rows costs tens of milliseconds, and such a
    /// term hardly changes the order BM25 gives (its inverse document frequency is near zero).
    /// </summary>
    public override Task<IReadOnlyList<(long Id, double Score)>> SearchTextAsync(IReadOnlyList<string> terms, MemoryFilter filter, int limit, CancellationToken cancellationToken) =>
        MatchAsync(terms, filter, null, limit, cancellationToken);

    public override Task<IReadOnlyList<(long Id, double Score)>> SearchTextAsync(IReadOnlyList<string> terms, MemoryFilter filter, IReadOnlySet<long> allowed, int limit, CancellationToken cancellationToken) =>
        MatchAsync(terms, filter, allowed, limit, cancellationToken);

    /// <summary>
    /// With the allowed ids at hand, the matches are read best first and tested against the set:
    /// the filter as SQL (<c>rowid IN (SELECT id ...)</c>) builds a temporary index of every
    /// allowed id on each call, about 5 ms for an agent of 20,000 memories, more than the match.
    /// </summary>
    private async Task<IReadOnlyList<(long Id, double Score)>> MatchAsync(IReadOnlyList<string> terms, MemoryFilter filter, IReadOnlySet<long>? allowed, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(filter);
        var results = new List<(long, double)>();
        if (terms.Count == 0)
        {
            return results;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var kept = await PruneCommonTermsAsync(connection, terms, cancellationToken).ConfigureAwait(false);
        var matchExpression = string.Join(" OR ", kept.Select(Search.QueryText.Phrase));
        await using var command = connection.CreateCommand();
        var where = new StringBuilder();
        if (!filter.IsEmpty && allowed is null)
        {
            // The unary plus keeps SQLite from handing the id list to FTS5, which would then run the
            // whole MATCH once per allowed id (hundreds of milliseconds for a few thousand).
            where.Append(" AND +f.rowid IN (SELECT id FROM memories m WHERE 1 = 1");
            AppendFilter(command, filter, where, "m");
            where.Append(')');
        }

        // Column weights: the words themselves, the speaker's name, the date words.
        command.CommandText = $"SELECT f.rowid, -bm25(memories_fts, 1.0, 0.5, 0.2) AS score FROM memories_fts f WHERE memories_fts MATCH @q{where} ORDER BY score DESC, f.rowid LIMIT @limit";
        command.Parameters.AddWithValue("@q", matchExpression);
        command.Parameters.AddWithValue("@limit", allowed is null ? limit : -1);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (results.Count < limit && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetInt64(0);
                if (allowed is null || allowed.Contains(id))
                {
                    results.Add((id, reader.GetDouble(1)));
                }
            }
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1 && (ex.Message.Contains("fts5", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("unterminated", StringComparison.OrdinalIgnoreCase)))
        {
            // Terms are quoted phrases, so this should not happen; if FTS5 still refuses one, the
            // caller sent a query it cannot search, which is not a server error.
            throw new Search.QueryRejectedException(string.Join(' ', terms), "the full-text engine refused it", ex);
        }

        return results;
    }

    private async Task<IReadOnlyList<string>> PruneCommonTermsAsync(SqliteConnection connection, IReadOnlyList<string> terms, CancellationToken cancellationToken)
    {
        if (terms.Count < 2)
        {
            return terms;
        }

        var size = Convert.ToInt64(await ScalarAsync(connection, "SELECT COALESCE(MAX(id), 0) FROM memories", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (!CommonTerms.Applies(terms.Count, size))
        {
            return terms;
        }

        var counts = new List<(string Term, long Count)>(terms.Count);
        foreach (var term in terms)
        {
            counts.Add((term, await CountDocumentsAsync(connection, term, size, cancellationToken).ConfigureAwait(false)));
        }

        return CommonTerms.Keep(counts, size);
    }

    /// <summary>
    /// How many memories hold a query word, as FTS5 indexed it. FTS5 counts by reading the term's
    /// whole list of rows (about 2 ms for a word in 50,000 memories), so a count is kept and reused
    /// until the store has grown or shrunk by a twentieth: it only decides which words are worth
    /// scoring. The index holds Porter stems, and a stem is the word less a suffix of at most five
    /// letters (a final y may become i): the longest such prefix the index holds is the word's.
    /// Found in no way, the word counts as rare and is kept.
    /// </summary>
    private async Task<long> CountDocumentsAsync(SqliteConnection connection, string term, long size, CancellationToken cancellationToken)
    {
        if (_termCounts.TryGetValue(term, out var cached) && Math.Abs(cached.Size - size) <= size / 20)
        {
            return cached.Documents;
        }

        var stems = new List<string>();
        for (var length = term.Length; length >= Math.Max(Math.Min(2, term.Length), term.Length - 5); length--)
        {
            stems.Add(term[..length]);
            if (term[length - 1] == 'y')
            {
                stems.Add(string.Concat(term.AsSpan(0, length - 1), "i"));
            }
        }

        await using var vocab = connection.CreateCommand();
        vocab.CommandText = $"SELECT term, doc FROM memories_vocab WHERE term IN ({Parameters(vocab, stems)})";
        long documents = 0;
        var best = 0;
        await using (var reader = await vocab.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var stem = reader.GetString(0);
                if (stem.Length > best)
                {
                    best = stem.Length;
                    documents = reader.GetInt64(1);
                }
            }
        }

        if (_termCounts.Count >= MaxCachedTermCounts)
        {
            _termCounts.Clear();
        }

        _termCounts[term] = (documents, size);
        return documents;
    }

    /// <summary>Words whose counts are kept at most; past it the cache starts again (a few MB at most).</summary>
    private const int MaxCachedTermCounts = 20_000;


    /// <summary>
    /// SQLite's quick check of the database file, null when it passes. It runs on a connection of its
    /// own, outside the pool. Why: each connection keeps FTS5's list of the index's segments in
    /// memory, and every search or write checks that list is current before using it, but the
    /// integrity check FTS5 answers for <c>quick_check</c> walks it as it is. After other
    /// connections wrote enough to merge segments (and delete the old ones), a pooled connection
    /// whose last full-text use came before that looks for a deleted piece and reports
    /// "fts5: corruption found reading blob" while the file is sound. Searches on that connection
    /// refresh the list first and answer as a fresh connection does (a test compares them).
    /// </summary>
    public override async Task<string?> QuickCheckAsync(CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var result = Convert.ToString(await ScalarAsync(connection, "PRAGMA quick_check", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        return result == "ok" ? null : result;
    }

    /// <summary>The full integrity check, on a connection outside the pool for the reason <see cref="QuickCheckAsync"/> gives.</summary>
    public override async Task<string> CheckIntegrityAsync(CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var lines = new List<string>();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }

    /// <summary>
    /// Builds the full-text index again from the memory rows, in one transaction (searches keep the
    /// old index until it commits). FTS5's own 'rebuild' cannot, the table keeping no copy of the
    /// text. The date words are those of each memory's UTC date (ingest used the turn's own offset,
    /// so a turn near midnight elsewhere may now match the neighbouring day's words).
    /// </summary>
    public override async Task<long> RebuildTextIndexAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        connection.CreateFunction("mnemo_date_words", (long? ts) => ts is { } ms ? NewMemory.DateWords(DateTimeOffset.FromUnixTimeMilliseconds(ms)) : string.Empty, isDeterministic: true);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var sql in new[]
        {
            "INSERT INTO memories_fts(memories_fts) VALUES ('delete-all')",
            "INSERT INTO memories_fts(rowid, body, speaker, context) SELECT id, text, speaker, mnemo_date_words(ts) FROM memories ORDER BY id",
            "INSERT INTO memories_fts(memories_fts) VALUES ('optimize')",
        })
        {
            await using var command = Command(connection, transaction, sql);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var count = Command(connection, transaction, "SELECT COUNT(*) FROM memories");
        var rows = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _termCounts.Clear();
        return rows;
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    private static string Parameters<T>(DbCommand command, IEnumerable<T> values)
    {
        var names = new List<string>();
        foreach (var value in values)
        {
            var name = FormattableString.Invariant($"@p{names.Count}");
            command.Bind(name, value);
            names.Add(name);
        }

        return names.Count == 0 ? "NULL" : string.Join(", ", names);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
