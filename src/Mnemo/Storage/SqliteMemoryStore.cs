using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Mnemo.Domain;
using Mnemo.Embeddings;

namespace Mnemo.Storage;

/// <summary>
/// The embedded store: one SQLite database in WAL mode, the source of truth for memories, their
/// embeddings, the FTS5 index, cursors and the audit log. Every batch is one transaction.
/// A connection per operation (pooled) lets searches run while an ingest writes.
/// </summary>
public sealed class SqliteMemoryStore : IMemoryStore, IRecordDatabase
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Documents, long Size)> _termCounts = new(StringComparer.Ordinal);

    private SqliteMemoryStore(string path, TimeProvider time)
    {
        DatabasePath = path;
        _time = time;
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

    public string Location => DatabasePath;

    /// <summary>Opens (creating if needed) the database and applies pending migrations.</summary>
    public static async Task<SqliteMemoryStore> OpenAsync(string path, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(time);
        var store = new SqliteMemoryStore(Path.GetFullPath(path), time);
        await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
        return store;
    }

    public SqlDialect Dialect => SqlDialect.Sqlite;

    async Task<System.Data.Common.DbConnection> IRecordDatabase.OpenRecordConnectionAsync(CancellationToken cancellationToken) =>
        await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
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
        if (version > Migrations.All.Count)
        {
            throw new InvalidOperationException($"{DatabasePath} has schema version {version}, newer than this Mnemo ({Migrations.All.Count}); upgrade Mnemo.");
        }

        for (var i = version; i < Migrations.All.Count; i++)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Migrations.All[i] + FormattableString.Invariant($"\nPRAGMA user_version = {i + 1};");
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The embedding model recorded for this store (<c>model|dimensions</c>), or null for a new store.</summary>
    public async Task<string?> GetEmbeddingModelAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await MemorySql.EmbeddingModelAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records the embedding model the store's vectors come from; refuses a different one.</summary>
    public async Task EnsureEmbeddingModelAsync(string modelId, int dimensions, CancellationToken cancellationToken)
    {
        var expected = EmbeddingModelRecord.Of(modelId, dimensions);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO store_meta(key, value) VALUES ('embedding_model', $v) ON CONFLICT(key) DO NOTHING; SELECT value FROM store_meta WHERE key = 'embedding_model';";
        command.Parameters.AddWithValue("$v", expected);
        var actual = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (EmbeddingModelRecord.MayName(actual, expected, dimensions))
        {
            await using var name = connection.CreateCommand();
            name.CommandText = "UPDATE store_meta SET value = $v WHERE key = 'embedding_model' AND value = $old";
            name.Parameters.AddWithValue("$v", expected);
            name.Parameters.AddWithValue("$old", actual);
            await name.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            actual = expected;
        }

        if (actual != expected)
        {
            throw new InvalidOperationException($"{DatabasePath} holds vectors from embedding model '{actual}', but '{expected}' is configured. Use the same model, or ingest into a new data directory.");
        }
    }

    public async Task<string?> GetCursorAsync(string source, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await MemorySql.CursorAsync(connection, source, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Content hashes of the memories that already exist under these keys (hex key to hash).</summary>
    public Task<Dictionary<string, byte[]>> FindExistingAsync(IReadOnlyCollection<byte[]> keys, CancellationToken cancellationToken) =>
        ReadByBlobKeysAsync("SELECT memory_key, content_hash FROM memories WHERE memory_key IN", keys, bytes => bytes, cancellationToken);

    /// <summary>Cached embeddings for these hashes (hex hash to vector).</summary>
    public Task<Dictionary<string, float[]>> GetEmbeddingsAsync(IReadOnlyCollection<byte[]> hashes, CancellationToken cancellationToken) =>
        ReadByBlobKeysAsync("SELECT hash, vector FROM embeddings WHERE hash IN", hashes, bytes => VectorMath.FromBytes(bytes), cancellationToken);

    /// <summary>Runs <c>{select} (keys...)</c> in chunks; the first column is the key, the second a blob value.</summary>
    private async Task<Dictionary<string, T>> ReadByBlobKeysAsync<T>(string select, IReadOnlyCollection<byte[]> keys, Func<byte[], T> read, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var chunk in keys.Chunk(500))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"{select} ({Parameters(command, chunk)})";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result[Convert.ToHexString((byte[])reader.GetValue(0))] = read((byte[])reader.GetValue(1));
            }
        }

        return result;
    }

    /// <summary>
    /// Writes a batch in one transaction: new embeddings, memories (added, or updated when the
    /// content under a key changed), their FTS rows, an audit event each, and the source cursor.
    /// </summary>
    public async Task<BatchResult> WriteBatchAsync(
        IReadOnlyList<NewMemory> memories,
        IReadOnlyList<StoredEmbedding> embeddings,
        string modelId,
        SourceCursor? cursor,
        string actor,
        CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var added = new List<(long, byte[])>();
        var updated = new List<(long, byte[])>();
        var unchanged = 0;
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var previous = await LastEventAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        await using (var insertEmbedding = Command(connection, transaction, "INSERT OR IGNORE INTO embeddings(hash, model, dims, vector) VALUES ($h, $m, $d, $v)"))
        {
            var h = insertEmbedding.Parameters.Add("$h", SqliteType.Blob);
            insertEmbedding.Parameters.AddWithValue("$m", modelId);
            var d = insertEmbedding.Parameters.Add("$d", SqliteType.Integer);
            var v = insertEmbedding.Parameters.Add("$v", SqliteType.Blob);
            foreach (var embedding in embeddings)
            {
                h.Value = embedding.Hash;
                d.Value = embedding.Vector.Length;
                v.Value = VectorMath.ToBytes(embedding.Vector);
                await insertEmbedding.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await using var find = Command(connection, transaction, "SELECT id, content_hash FROM memories WHERE memory_key = $k");
        var findKey = find.Parameters.Add("$k", SqliteType.Blob);
        await using var insert = Command(connection, transaction, """
            INSERT INTO memories(memory_key, agent, session, entry_id, parent_id, chunk, seq, role, speaker, tool, untrusted, text, ts, source, content_hash, embedding_id, created_at)
            VALUES ($key, $agent, $session, $entry, $parent, $chunk, $seq, $role, $speaker, $tool, $untrusted, $text, $ts, $source, $content, (SELECT id FROM embeddings WHERE hash = $embedding), $now)
            RETURNING id
            """);
        await using var update = Command(connection, transaction, """
            UPDATE memories SET parent_id = $parent, role = $role, speaker = $speaker, tool = $tool, untrusted = $untrusted, text = $text,
                ts = $ts, source = $source, content_hash = $content, embedding_id = (SELECT id FROM embeddings WHERE hash = $embedding)
            WHERE memory_key = $key
            RETURNING id
            """);
        await using var deleteFts = Command(connection, transaction, "DELETE FROM memories_fts WHERE rowid = $id");
        var deleteFtsId = deleteFts.Parameters.Add("$id", SqliteType.Integer);
        await using var insertFts = Command(connection, transaction, "INSERT INTO memories_fts(rowid, body, speaker, context) VALUES ($id, $body, $speaker, $context)");
        var ftsId = insertFts.Parameters.Add("$id", SqliteType.Integer);
        var ftsBody = insertFts.Parameters.Add("$body", SqliteType.Text);
        var ftsSpeaker = insertFts.Parameters.Add("$speaker", SqliteType.Text);
        var ftsContext = insertFts.Parameters.Add("$context", SqliteType.Text);
        await using var audit = Command(connection, transaction, "INSERT INTO audit_log(at, actor, action, memory_id, memory_key) VALUES ($at, $actor, $action, $id, $key)");
        audit.Parameters.AddWithValue("$at", now);
        audit.Parameters.AddWithValue("$actor", actor);
        var auditAction = audit.Parameters.Add("$action", SqliteType.Text);
        var auditId = audit.Parameters.Add("$id", SqliteType.Integer);
        var auditKey = audit.Parameters.Add("$key", SqliteType.Blob);

        foreach (var memory in memories)
        {
            findKey.Value = memory.Key;
            long? existingId = null;
            byte[]? existingHash = null;
            await using (var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    existingId = reader.GetInt64(0);
                    existingHash = (byte[])reader.GetValue(1);
                }
            }

            string action;
            long id;
            if (existingId is null)
            {
                Bind(insert, memory, now);
                id = (long)(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                action = "add";
                added.Add((id, memory.EmbeddingHash));
            }
            else if (!existingHash!.AsSpan().SequenceEqual(memory.ContentHash))
            {
                Bind(update, memory, now);
                id = (long)(await update.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                deleteFtsId.Value = id;
                await deleteFts.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                action = "update";
                updated.Add((id, memory.EmbeddingHash));
            }
            else
            {
                unchanged++;
                continue;
            }

            ftsId.Value = id;
            ftsBody.Value = memory.Text;
            ftsSpeaker.Value = (object?)memory.Speaker ?? DBNull.Value;
            ftsContext.Value = memory.IndexContext;
            await insertFts.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            auditAction.Value = action;
            auditId.Value = id;
            auditKey.Value = memory.Key;
            await audit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (cursor is not null)
        {
            await using var saveCursor = Command(connection, transaction, """
                INSERT INTO cursors(source, format, cursor, updated_at) VALUES ($s, $f, $c, $now)
                ON CONFLICT(source) DO UPDATE SET format = excluded.format, cursor = excluded.cursor, updated_at = excluded.updated_at
                """);
            saveCursor.Parameters.AddWithValue("$s", cursor.Source);
            saveCursor.Parameters.AddWithValue("$f", cursor.Format);
            saveCursor.Parameters.AddWithValue("$c", cursor.Cursor);
            saveCursor.Parameters.AddWithValue("$now", now);
            await saveCursor.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var watermark = await LastEventAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new BatchResult(added, updated, unchanged, previous, watermark);
    }

    /// <summary>The latest audit id; inside a write transaction (which holds SQLite's write lock) no other writer can add one.</summary>
    private static async Task<long> LastEventAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        await using var last = Command(connection, transaction, "SELECT COALESCE(MAX(id), 0) FROM audit_log");
        return (long)(await last.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Deletes memories (row, FTS entry, and the embedding if nothing else uses it) and records a
    /// <c>forget</c> event for each, without the text. Returns the ids that existed.
    /// </summary>
    public async Task<(IReadOnlyList<long> Forgotten, long Previous, long Watermark)> ForgetAsync(IReadOnlyCollection<long> ids, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var forgotten = new List<long>();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var previous = await LastEventAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await using var delete = Command(connection, transaction, "DELETE FROM memories WHERE id = $id RETURNING memory_key, embedding_id");
        var deleteId = delete.Parameters.Add("$id", SqliteType.Integer);
        await using var deleteFts = Command(connection, transaction, "DELETE FROM memories_fts WHERE rowid = $id");
        var ftsId = deleteFts.Parameters.Add("$id", SqliteType.Integer);
        await using var deleteEmbedding = Command(connection, transaction, "DELETE FROM embeddings WHERE id = $e AND NOT EXISTS (SELECT 1 FROM memories WHERE embedding_id = $e)");
        var embeddingId = deleteEmbedding.Parameters.Add("$e", SqliteType.Integer);
        await using var audit = Command(connection, transaction, "INSERT INTO audit_log(at, actor, action, memory_id, memory_key) VALUES ($at, $actor, 'forget', $id, $key)");
        audit.Parameters.AddWithValue("$at", now);
        audit.Parameters.AddWithValue("$actor", actor);
        var auditId = audit.Parameters.Add("$id", SqliteType.Integer);
        var auditKey = audit.Parameters.Add("$key", SqliteType.Blob);
        foreach (var id in ids.Distinct())
        {
            deleteId.Value = id;
            byte[]? key = null;
            long embedding = 0;
            await using (var reader = await delete.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    key = (byte[])reader.GetValue(0);
                    embedding = reader.GetInt64(1);
                }
            }

            if (key is null)
            {
                continue;
            }

            ftsId.Value = id;
            await deleteFts.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            embeddingId.Value = embedding;
            await deleteEmbedding.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            auditId.Value = id;
            auditKey.Value = key;
            await audit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            forgotten.Add(id);
        }

        var watermark = await LastEventAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (forgotten, previous, watermark);
    }

    /// <summary>
    /// BM25 candidates for the query's terms, best first (score: higher is better). In a large store
    /// a term that matches more than 5% of the memories (and over 5,000 of them) is dropped when
    /// rarer terms remain: scoring tens of thousands of rows costs tens of milliseconds, and such a
    /// term hardly changes the order BM25 gives (its inverse document frequency is near zero).
    /// </summary>
    public Task<IReadOnlyList<(long Id, double Score)>> SearchTextAsync(IReadOnlyList<string> terms, MemoryFilter filter, int limit, CancellationToken cancellationToken) =>
        SearchTextAsync(terms, filter, null, limit, cancellationToken);

    /// <summary>
    /// With the allowed ids at hand, the matches are read best first and tested against the set:
    /// the filter as SQL (<c>rowid IN (SELECT id ...)</c>) builds a temporary index of every
    /// allowed id on each call, about 5 ms for an agent of 20,000 memories, more than the match.
    /// </summary>
    public async Task<IReadOnlyList<(long Id, double Score)>> SearchTextAsync(IReadOnlyList<string> terms, MemoryFilter filter, IReadOnlySet<long>? allowed, int limit, CancellationToken cancellationToken)
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
        command.CommandText = $"SELECT f.rowid, -bm25(memories_fts, 1.0, 0.5, 0.2) AS score FROM memories_fts f WHERE memories_fts MATCH $q{where} ORDER BY score DESC, f.rowid LIMIT $limit";
        command.Parameters.AddWithValue("$q", matchExpression);
        command.Parameters.AddWithValue("$limit", allowed is null ? limit : -1);
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

    /// <summary>Ids of the memories that pass a filter (used to restrict vector search); at most <paramref name="limit"/> when given.</summary>
    public async Task<HashSet<long>> FilterIdsAsync(MemoryFilter filter, int? limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var ids = new HashSet<long>();
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT id FROM memories m WHERE 1 = 1");
        AppendFilter(command, filter, sql, "m");
        if (limit is { } most)
        {
            sql.Append(" LIMIT $limit");
            command.Parameters.AddWithValue("$limit", most);
        }

        command.CommandText = sql.ToString();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    public async Task<IReadOnlyList<Memory>> GetMemoriesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var result = new List<Memory>(ids.Count);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT id, agent, session, entry_id, role, text, ts, source, seq, chunk, untrusted, speaker FROM memories WHERE id IN ({IdList(command, ids)})";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Add(ReadMemory(reader));
            }
        }

        return result;
    }

    /// <summary>Ids of conversation memories (not digests, not facts the agent was told to remember) whose turn is older than <paramref name="before"/>, oldest first.</summary>
    public async Task<IReadOnlyList<long>> FindOlderTurnsAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await MemorySql.OlderTurnsAsync(connection, before, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The memories matching every part of the filter (agent, session, role, source, time range), oldest first.</summary>
    public async Task<IReadOnlyList<Memory>> FindAsync(MemoryFilter filter, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var result = new List<Memory>();
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        void Add(string clause, string name, object? value)
        {
            if (value is not null)
            {
                where.Add(clause);
                command.Parameters.AddWithValue(name, value);
            }
        }

        Add("agent = $agent", "$agent", filter.Agent);
        Add("session = $session", "$session", filter.Session);
        Add("role = $role", "$role", filter.Role);
        Add("source = $source", "$source", filter.Source);
        Add("ts >= $since", "$since", filter.Since?.ToUnixTimeMilliseconds());
        Add("ts < $until", "$until", filter.Until?.ToUnixTimeMilliseconds());
        command.CommandText = $"SELECT id, agent, session, entry_id, role, text, ts, source, seq, chunk, untrusted, speaker FROM memories {(where.Count == 0 ? string.Empty : "WHERE " + string.Join(" AND ", where))} ORDER BY ts, id LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(ReadMemory(reader));
        }

        return result;
    }

    /// <summary>
    /// For each memory, the memories just before and after it in its session (null at the ends).
    /// Turns of a session are stored in order, so the neighbours are usually the ids on either
    /// side: those are checked with one primary-key lookup, and only the rest are searched for.
    /// </summary>
    public async Task<Dictionary<long, (long? Previous, long? Next)>> GetNeighboursAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var result = new Dictionary<long, (long?, long?)>(ids.Count);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var positions = new Dictionary<long, (string Agent, string Session, long Seq, long Chunk)>();
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT id, agent, session, seq, chunk FROM memories WHERE id IN ({IdList(command, ids.SelectMany(id => new[] { id - 1, id, id + 1 }).Distinct())})";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                positions[reader.GetInt64(0)] = (reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4));
            }
        }

        bool Adjacent(long before, long after) =>
            positions.TryGetValue(before, out var b) && positions.TryGetValue(after, out var a)
            && a.Agent == b.Agent && a.Session == b.Session && (b.Seq, b.Chunk).CompareTo((a.Seq, a.Chunk)) < 0;

        var unresolved = new List<long>();
        foreach (var id in ids)
        {
            if (!positions.ContainsKey(id))
            {
                continue;
            }

            if (Adjacent(id - 1, id) && Adjacent(id, id + 1))
            {
                result[id] = (id - 1, id + 1);
            }
            else
            {
                unresolved.Add(id);
            }
        }

        if (unresolved.Count > 0)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"""
                SELECT m.id,
                  (SELECT p.id FROM memories p WHERE p.agent = m.agent AND p.session = m.session AND (p.seq, p.chunk) < (m.seq, m.chunk) ORDER BY p.seq DESC, p.chunk DESC LIMIT 1),
                  (SELECT n.id FROM memories n WHERE n.agent = m.agent AND n.session = m.session AND (n.seq, n.chunk) > (m.seq, m.chunk) ORDER BY n.seq, n.chunk LIMIT 1)
                FROM memories m WHERE m.id IN ({IdList(command, unresolved)})
                """;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result[reader.GetInt64(0)] = (reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2));
            }
        }

        return result;
    }

    /// <summary>The text of the memory just before a position in a session, to give a resumed ingest its context.</summary>
    public async Task<string?> GetPrecedingTextAsync(string agent, string session, long sequence, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await MemorySql.PrecedingTextAsync(connection, agent, session, sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every memory id with its vector, in id order: what the vector index is derived from.</summary>
    public async IAsyncEnumerable<(long Id, float[] Vector)> ReadVectorsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT m.id, e.vector FROM memories m JOIN embeddings e ON e.id = m.embedding_id ORDER BY m.id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return (reader.GetInt64(0), VectorMath.FromBytes((byte[])reader.GetValue(1)));
        }
    }

    /// <summary>Vectors of some memories (hex-free: by id).</summary>
    public async Task<Dictionary<long, float[]>> GetVectorsAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var result = new Dictionary<long, float[]>(ids.Count);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT m.id, e.vector FROM memories m JOIN embeddings e ON e.id = m.embedding_id WHERE m.id IN ({IdList(command, ids)})";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result[reader.GetInt64(0)] = VectorMath.FromBytes((byte[])reader.GetValue(1));
            }
        }

        return result;
    }

    /// <summary>The store's version for derived data: the id of the latest audit event, and the memory count.</summary>
    /// <summary>The id of an entry's first chunk, or null.</summary>
    public async Task<long?> FindIdAsync(string agent, string session, string entryId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await MemorySql.FindIdAsync(connection, agent, session, entryId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A session's memories up to a position (or before a time), newest first, with their vectors:
    /// what left the context at a compaction.
    /// </summary>
    public async Task<IReadOnlyList<(Memory Memory, float[] Vector)>> GetSessionMemoriesAsync(string agent, string session, long? maxSequence, DateTimeOffset? before, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(session);
        var result = new List<(Memory, float[])>();
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT m.id, m.agent, m.session, m.entry_id, m.role, m.text, m.ts, m.source, m.seq, m.chunk, m.untrusted, m.speaker, e.vector
            FROM memories m JOIN embeddings e ON e.id = m.embedding_id
            WHERE m.agent = $agent AND m.session = $session AND ($max IS NULL OR m.seq <= $max) AND ($before IS NULL OR m.ts < $before)
            ORDER BY m.seq DESC, m.chunk DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$agent", agent);
        command.Parameters.AddWithValue("$session", session);
        command.Parameters.AddWithValue("$max", (object?)maxSequence ?? DBNull.Value);
        command.Parameters.AddWithValue("$before", before is { } b ? b.ToUnixTimeMilliseconds() : DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add((ReadMemory(reader), VectorMath.FromBytes((byte[])reader.GetValue(12))));
        }

        return result;
    }

    /// <summary>
    /// The conversation memories said in [<paramref name="from"/>, <paramref name="until"/>),
    /// oldest first, with their vectors; digests are left out. Over <paramref name="limit"/> the
    /// newest are kept: what digests and signals read is the latest, not the oldest.
    /// </summary>
    public async Task<IReadOnlyList<(Memory Memory, float[] Vector)>> GetMemoriesBetweenAsync(DateTimeOffset from, DateTimeOffset until, string? agent, int limit, CancellationToken cancellationToken)
    {
        var result = new List<(Memory, float[])>();
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT * FROM (
                SELECT m.id, m.agent, m.session, m.entry_id, m.role, m.text, m.ts, m.source, m.seq, m.chunk, m.untrusted, m.speaker, e.vector
                FROM memories m JOIN embeddings e ON e.id = m.embedding_id
                WHERE m.ts >= $from AND m.ts < $until AND m.role <> 'digest' AND ($agent IS NULL OR m.agent = $agent)
                ORDER BY m.ts DESC LIMIT $limit)
            ORDER BY ts, agent, session, seq, chunk
            """;
        command.Parameters.AddWithValue("$from", from.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$until", until.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$agent", (object?)agent ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add((ReadMemory(reader), VectorMath.FromBytes((byte[])reader.GetValue(12))));
        }

        return result;
    }

    /// <summary>The agents with conversation memories said in [<paramref name="from"/>, <paramref name="until"/>).</summary>
    public async Task<IReadOnlyList<string>> GetActiveAgentsAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await MemorySql.ActiveAgentsAsync(connection, from, until, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<SessionSummary>> GetSessionsAsync(string? agent, int limit, CancellationToken cancellationToken)
    {
        var sessions = new List<SessionSummary>();
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT agent, session, COUNT(*) FILTER (WHERE chunk = 0), MIN(ts), MAX(ts) FROM memories
            WHERE $agent IS NULL OR agent = $agent
            GROUP BY agent, session ORDER BY MAX(COALESCE(ts, created_at)) DESC, agent, session LIMIT $limit
            """;
        command.Parameters.AddWithValue("$agent", (object?)agent ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            sessions.Add(SessionSummary.Read(reader));
        }

        return sessions;
    }

    /// <summary>Conversation turns per agent per UTC day in [<paramref name="from"/>, <paramref name="until"/>).</summary>
    public async Task<IReadOnlyList<(string Agent, DateOnly Day, int Turns)>> CountTurnsPerDayAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var counts = new List<(string, DateOnly, int)>();
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT agent, ts / 86400000 AS day, COUNT(*) FROM memories
            WHERE ts >= $from AND ts < $until AND role <> 'digest' AND chunk = 0
            GROUP BY agent, day ORDER BY agent, day
            """;
        command.Parameters.AddWithValue("$from", from.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$until", until.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts.Add((reader.GetString(0), DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)reader.GetInt64(1)), reader.GetInt32(2)));
        }

        return counts;
    }

    /// <summary>
    /// For the data-quality check: memories stored per UTC day since <paramref name="since"/> (by when
    /// they were stored), and of those stored since <paramref name="recent"/>: how many, how many
    /// distinct contents, how many empty.
    /// </summary>
    public async Task<(Dictionary<DateOnly, long> PerDay, long Recent, long RecentDistinct, long RecentEmpty)> IngestVolumeAsync(DateTimeOffset since, DateTimeOffset recent, CancellationToken cancellationToken)
    {
        var perDay = new Dictionary<DateOnly, long>();
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var days = connection.CreateCommand())
        {
            days.CommandText = "SELECT created_at / 86400000, count(*) FROM memories WHERE created_at >= $since GROUP BY 1";
            days.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
            await using var reader = await days.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                perDay[DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)reader.GetInt64(0))] = reader.GetInt64(1);
            }
        }

        await using var latest = connection.CreateCommand();
        latest.CommandText = "SELECT count(*), count(DISTINCT content_hash), COALESCE(SUM(trim(text) = ''), 0) FROM memories WHERE created_at >= $recent";
        latest.Parameters.AddWithValue("$recent", recent.ToUnixTimeMilliseconds());
        await using var row = await latest.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await row.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (perDay, row.GetInt64(0), row.GetInt64(1), row.GetInt64(2));
    }

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
    public async Task<string?> QuickCheckAsync(CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var result = Convert.ToString(await ScalarAsync(connection, "PRAGMA quick_check", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        return result == "ok" ? null : result;
    }

    public async Task<(long Watermark, long Count)> GetWatermarkAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await MemorySql.WatermarkAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Audit events after a watermark, oldest first: how a saved index catches up.</summary>
    public async Task<IReadOnlyList<(long EventId, string Action, long MemoryId)>> GetChangesSinceAsync(long watermark, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await MemorySql.ChangesSinceAsync(connection, watermark, cancellationToken).ConfigureAwait(false);
    }

    public async Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT COUNT(*) FROM memories),
                   (SELECT COUNT(*) FROM (SELECT DISTINCT agent, session FROM memories)),
                   (SELECT COUNT(DISTINCT agent) FROM memories),
                   (SELECT COUNT(DISTINCT source) FROM memories),
                   (SELECT COUNT(*) FROM embeddings),
                   (SELECT COUNT(*) FROM audit_log),
                   (SELECT MIN(ts) FROM memories),
                   (SELECT MAX(ts) FROM memories),
                   (SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()),
                   (SELECT value FROM store_meta WHERE key = 'embedding_model')
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return StoreStats.Read(reader);
    }

    /// <summary>Runs <c>PRAGMA integrity_check</c>; returns "ok" or the problems SQLite found.</summary>
    /// <summary>The full integrity check, on a connection outside the pool for the reason <see cref="QuickCheckAsync"/> gives.</summary>
    public async Task<string> CheckIntegrityAsync(CancellationToken cancellationToken)
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
    public async Task<long> RebuildTextIndexAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        connection.CreateFunction("mnemo_date_words", (long? ts) => ts is { } ms ? Ingest.IngestPipeline.DateWords(DateTimeOffset.FromUnixTimeMilliseconds(ms)) : string.Empty, isDeterministic: true);
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

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    private static Memory ReadMemory(SqliteDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
        reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        reader.GetString(7), reader.GetInt64(8), reader.GetInt32(9), reader.GetInt64(10) != 0,
        reader.IsDBNull(11) ? null : reader.GetString(11));

    private static void Bind(SqliteCommand command, NewMemory memory, long now)
    {
        command.Parameters.Clear();
        command.Parameters.AddWithValue("$key", memory.Key);
        command.Parameters.AddWithValue("$agent", memory.Agent);
        command.Parameters.AddWithValue("$session", memory.Session);
        command.Parameters.AddWithValue("$entry", memory.EntryId);
        command.Parameters.AddWithValue("$parent", (object?)memory.ParentId ?? DBNull.Value);
        command.Parameters.AddWithValue("$chunk", memory.Chunk);
        command.Parameters.AddWithValue("$seq", memory.Sequence);
        command.Parameters.AddWithValue("$role", memory.Role);
        command.Parameters.AddWithValue("$speaker", (object?)memory.Speaker ?? DBNull.Value);
        command.Parameters.AddWithValue("$tool", (object?)memory.Tool ?? DBNull.Value);
        command.Parameters.AddWithValue("$untrusted", memory.Untrusted ? 1 : 0);
        command.Parameters.AddWithValue("$text", memory.Text);
        command.Parameters.AddWithValue("$ts", memory.Timestamp is { } ts ? ts.ToUnixTimeMilliseconds() : DBNull.Value);
        command.Parameters.AddWithValue("$source", memory.Source);
        command.Parameters.AddWithValue("$content", memory.ContentHash);
        command.Parameters.AddWithValue("$embedding", memory.EmbeddingHash);
        command.Parameters.AddWithValue("$now", now);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>An id list as one JSON parameter: one short statement to prepare however many ids there are.</summary>
    private static string IdList(SqliteCommand command, IEnumerable<long> ids)
    {
        command.Parameters.AddWithValue("$ids", "[" + string.Join(',', ids.Select(id => id.ToString(CultureInfo.InvariantCulture))) + "]");
        return "SELECT value FROM json_each($ids)";
    }

    private static string Parameters<T>(SqliteCommand command, IEnumerable<T> values)
    {
        var names = new List<string>();
        foreach (var value in values)
        {
            var name = FormattableString.Invariant($"$p{names.Count}");
            command.Parameters.AddWithValue(name, value);
            names.Add(name);
        }

        return names.Count == 0 ? "NULL" : string.Join(", ", names);
    }

    private static void AppendFilter(SqliteCommand command, MemoryFilter filter, StringBuilder sql, string alias)
    {
        foreach (var (condition, name, value) in filter.Conditions())
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND {alias}.{condition} ${name}");
            command.Parameters.AddWithValue("$" + name, value);
        }
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
