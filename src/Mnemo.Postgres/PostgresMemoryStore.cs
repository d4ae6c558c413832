using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Mnemo.Postgres;

/// <summary>
/// The shared store: memories, their vectors, the full-text index (a weighted <c>tsvector</c>),
/// cursors and the audit log in one PostgreSQL database that several Mnemo nodes use. Each node
/// derives its own vector index from it and follows the audit log (see
/// <see cref="PostgresChangeFeed"/>), exactly as the embedded index follows SQLite. Writers take a
/// transaction-scoped advisory lock, so audit ids are assigned in commit order and a node that has
/// seen event N has seen every event before it.
/// </summary>
public sealed class PostgresMemoryStore : IMemoryStore, IRecordDatabase
{
    private const string MemoryColumns = "m.id, m.agent, m.session, m.entry_id, m.role, m.text, m.ts, m.source, m.seq, m.chunk, m.untrusted, m.speaker";
    private readonly TimeProvider _time;
    private int _analyzing;

    private PostgresMemoryStore(NpgsqlDataSource dataSource, string location, TimeProvider time)
    {
        DataSource = dataSource;
        Location = location;
        _time = time;
    }

    /// <summary>The pooled connections to the database (the coordination classes share it).</summary>
    public NpgsqlDataSource DataSource { get; }

    public string Location { get; }

    /// <summary>
    /// Connects (failing within seconds when the server is down), applies pending migrations and
    /// returns the store. The connection string is Npgsql's (<c>Host=...;Database=...;Username=...</c>).
    /// </summary>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    /// <summary>True when the connection string itself sets the connect timeout (not Command Timeout).</summary>
    internal static bool SetsConnectTimeout(string connectionString)
    {
        var keys = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>();
        return keys.Any(k => k.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant() is "TIMEOUT" or "CONNECTTIMEOUT" or "CONNECTIONTIMEOUT");
    }

    public static async Task<PostgresMemoryStore> OpenAsync(string connectionString, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(time);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"the PostgreSQL connection string is not valid ({ex.Message}); example: Host=127.0.0.1;Port=5432;Database=mnemo;Username=mnemo", nameof(connectionString), ex);
        }

        // Fail fast when the server is gone (connect and cancel within a few seconds), and notice a
        // dead peer on idle pooled connections; long queries still get their own 30 s.
        if (!SetsConnectTimeout(connectionString))
        {
            builder.Timeout = 5;
        }

        builder.KeepAlive = builder.KeepAlive == 0 ? 15 : builder.KeepAlive;
        builder.CancellationTimeout = 2000;
        builder.MaxAutoPrepare = builder.MaxAutoPrepare == 0 ? 64 : builder.MaxAutoPrepare;
        builder.ApplicationName ??= "mnemo";
        var location = FormattableString.Invariant($"postgres://{builder.Host}:{builder.Port}/{builder.Database}");
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var store = new PostgresMemoryStore(dataSource, location, time);
        try
        {
            await store.GuardAsync(() => PostgresSchema.MigrateAsync(dataSource, cancellationToken)).ConfigureAwait(false);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return store;
    }

    /// <summary>True when an exception means the database could not be reached (rather than a bad query).</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        StoreUnavailableException => true,
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException } => true,
        NpgsqlException npgsql when npgsql.IsTransient => true,
        PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.CrashShutdown } => true,
        SocketException or TimeoutException => true,
        _ => false,
    };

    public SqlDialect Dialect => SqlDialect.Postgres;

    async Task<System.Data.Common.DbConnection> IRecordDatabase.OpenRecordConnectionAsync(CancellationToken cancellationToken) =>
        await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    internal async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    private StoreUnavailableException Unavailable(Exception ex) =>
        new($"the PostgreSQL store at {Location} is unreachable ({ex.Message}); requests fail until it is back", ex);

    private async Task GuardAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not StoreUnavailableException && IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    private async Task<T> GuardAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not StoreUnavailableException && IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Runs a query on a pooled connection, turning a lost connection into <see cref="StoreUnavailableException"/>.</summary>
    private Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, Task<T>> action, CancellationToken cancellationToken) =>
        GuardAsync(async () =>
        {
            await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await action(connection).ConfigureAwait(false);
        });

    public Task<string?> GetEmbeddingModelAsync(CancellationToken cancellationToken) =>
        WithConnectionAsync(connection => MemorySql.EmbeddingModelAsync(connection, cancellationToken), cancellationToken);

    public async Task EnsureEmbeddingModelAsync(string modelId, int dimensions, CancellationToken cancellationToken)
    {
        var expected = EmbeddingModelRecord.Of(modelId, dimensions);
        var actual = await WithConnectionAsync(
            async connection =>
            {
                await using var command = new NpgsqlCommand("INSERT INTO store_meta(key, value) VALUES ('embedding_model', @v) ON CONFLICT (key) DO NOTHING; SELECT value FROM store_meta WHERE key = 'embedding_model';", connection);
                command.Parameters.AddWithValue("v", expected);
                var recorded = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                if (EmbeddingModelRecord.MayName(recorded, expected, dimensions))
                {
                    await using var name = new NpgsqlCommand("UPDATE store_meta SET value = @v WHERE key = 'embedding_model' AND value = @old", connection);
                    name.Parameters.AddWithValue("v", expected);
                    name.Parameters.AddWithValue("old", recorded!);
                    await name.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    recorded = expected;
                }

                return recorded;
            },
            cancellationToken).ConfigureAwait(false);
        if (actual != expected)
        {
            throw new InvalidOperationException($"{Location} holds vectors from embedding model '{actual}', but '{expected}' is configured. Every node must use the same model.");
        }
    }

    public Task<string?> GetCursorAsync(string source, CancellationToken cancellationToken) =>
        WithConnectionAsync(connection => MemorySql.CursorAsync(connection, source, cancellationToken), cancellationToken);

    public Task<Dictionary<string, byte[]>> FindExistingAsync(IReadOnlyCollection<byte[]> keys, CancellationToken cancellationToken) =>
        ReadByKeysAsync("SELECT memory_key, content_hash FROM memories WHERE memory_key = ANY(@keys)", keys, bytes => bytes, cancellationToken);

    public Task<Dictionary<string, float[]>> GetEmbeddingsAsync(IReadOnlyCollection<byte[]> hashes, CancellationToken cancellationToken) =>
        ReadByKeysAsync("SELECT hash, vector FROM embeddings WHERE hash = ANY(@keys)", hashes, bytes => VectorMath.FromBytes(bytes), cancellationToken);

    private Task<Dictionary<string, T>> ReadByKeysAsync<T>(string sql, IReadOnlyCollection<byte[]> keys, Func<byte[], T> read, CancellationToken cancellationToken) =>
        WithConnectionAsync(
            async connection =>
            {
                var result = new Dictionary<string, T>(StringComparer.Ordinal);
                if (keys.Count == 0)
                {
                    return result;
                }

                await using var command = new NpgsqlCommand(sql, connection);
                command.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = keys.ToArray() });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result[Convert.ToHexString((byte[])reader.GetValue(0))] = read((byte[])reader.GetValue(1));
                }

                return result;
            },
            cancellationToken);

    public Task<BatchResult> WriteBatchAsync(IReadOnlyList<NewMemory> memories, IReadOnlyList<StoredEmbedding> embeddings, string modelId, SourceCursor? cursor, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memories);
        ArgumentNullException.ThrowIfNull(embeddings);
        return WithConnectionAsync(
            async connection =>
            {
                var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                var added = new List<(long, byte[])>();
                var updated = new List<(long, byte[])>();
                var unchanged = 0;
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var previous = await LockWriterAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

                if (embeddings.Count > 0)
                {
                    await using var insertEmbeddings = new NpgsqlCommand(
                        "INSERT INTO embeddings(hash, model, dims, vector) SELECT h, @m, d, v FROM unnest(@h, @d, @v) AS e(h, d, v) ON CONFLICT (hash) DO NOTHING",
                        connection,
                        transaction);
                    insertEmbeddings.Parameters.AddWithValue("m", modelId);
                    insertEmbeddings.Parameters.Add(new NpgsqlParameter("h", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = embeddings.Select(e => e.Hash).ToArray() });
                    insertEmbeddings.Parameters.Add(new NpgsqlParameter("d", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = embeddings.Select(e => e.Vector.Length).ToArray() });
                    insertEmbeddings.Parameters.Add(new NpgsqlParameter("v", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = embeddings.Select(e => VectorMath.ToBytes(e.Vector)).ToArray() });
                    await insertEmbeddings.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var existing = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                await using (var find = new NpgsqlCommand("SELECT memory_key, content_hash FROM memories WHERE memory_key = ANY(@keys)", connection, transaction))
                {
                    find.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = memories.Select(m => m.Key).ToArray() });
                    await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        existing[Convert.ToHexString((byte[])reader.GetValue(0))] = (byte[])reader.GetValue(1);
                    }
                }

                await using var insert = new NpgsqlCommand(
                    """
                    INSERT INTO memories(memory_key, agent, session, entry_id, parent_id, chunk, seq, role, speaker, tool, untrusted, text, context, ts, source, content_hash, embedding_id, created_at)
                    VALUES (@key, @agent, @session, @entry, @parent, @chunk, @seq, @role, @speaker, @tool, @untrusted, @text, @context, @ts, @source, @content, (SELECT id FROM embeddings WHERE hash = @embedding), @now)
                    RETURNING id
                    """,
                    connection,
                    transaction);
                await using var update = new NpgsqlCommand(
                    """
                    UPDATE memories SET parent_id = @parent, role = @role, speaker = @speaker, tool = @tool, untrusted = @untrusted, text = @text, context = @context,
                        ts = @ts, source = @source, content_hash = @content, embedding_id = (SELECT id FROM embeddings WHERE hash = @embedding)
                    WHERE memory_key = @key
                    RETURNING id
                    """,
                    connection,
                    transaction);
                var audit = new List<(string Action, long Id, byte[] Key)>();
                foreach (var memory in memories)
                {
                    var isNew = !existing.TryGetValue(Convert.ToHexString(memory.Key), out var hash);
                    if (!isNew && hash!.AsSpan().SequenceEqual(memory.ContentHash))
                    {
                        unchanged++;
                        continue;
                    }

                    var command = isNew ? insert : update;
                    Bind(command, memory, now);
                    var id = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                    (isNew ? added : updated).Add((id, memory.EmbeddingHash));
                    audit.Add((isNew ? "add" : "update", id, memory.Key));
                    existing[Convert.ToHexString(memory.Key)] = memory.ContentHash;
                }

                await AppendAuditAsync(connection, transaction, now, actor, audit, cancellationToken).ConfigureAwait(false);
                if (cursor is not null)
                {
                    await using var saveCursor = new NpgsqlCommand(
                        """
                        INSERT INTO cursors(source, format, cursor, updated_at) VALUES (@s, @f, @c, @now)
                        ON CONFLICT (source) DO UPDATE SET format = excluded.format, cursor = excluded.cursor, updated_at = excluded.updated_at
                        """,
                        connection,
                        transaction);
                    saveCursor.Parameters.AddWithValue("s", cursor.Source);
                    saveCursor.Parameters.AddWithValue("f", cursor.Format);
                    saveCursor.Parameters.AddWithValue("c", cursor.Cursor);
                    saveCursor.Parameters.AddWithValue("now", now);
                    await saveCursor.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var watermark = await CommitAndNotifyAsync(connection, transaction, audit.Count, cancellationToken).ConfigureAwait(false);
                return new BatchResult(added, updated, unchanged, previous, watermark);
            },
            cancellationToken);
    }

    public Task<(IReadOnlyList<long> Forgotten, long Previous, long Watermark)> ForgetAsync(IReadOnlyCollection<long> ids, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        return WithConnectionAsync(
            async connection =>
            {
                var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var previous = await LockWriterAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                var audit = new List<(string Action, long Id, byte[] Key)>();
                await using (var delete = new NpgsqlCommand("DELETE FROM memories WHERE id = ANY(@ids) RETURNING id, memory_key", connection, transaction))
                {
                    delete.Parameters.AddWithValue("ids", ids.Distinct().ToArray());
                    await using var reader = await delete.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        audit.Add(("forget", reader.GetInt64(0), (byte[])reader.GetValue(1)));
                    }
                }

                // Embeddings nothing uses any more go too (their text could be recovered from a vector).
                await using (var orphans = new NpgsqlCommand("DELETE FROM embeddings e WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.embedding_id = e.id)", connection, transaction))
                {
                    if (audit.Count > 0)
                    {
                        await orphans.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                await AppendAuditAsync(connection, transaction, now, actor, audit, cancellationToken).ConfigureAwait(false);
                var watermark = await CommitAndNotifyAsync(connection, transaction, audit.Count, cancellationToken).ConfigureAwait(false);
                return ((IReadOnlyList<long>)audit.Select(a => a.Id).ToList(), previous, watermark);
            },
            cancellationToken);
    }

    /// <summary>Takes the writer lock for the transaction and returns the latest audit id: no event can come between.</summary>
    private static async Task<long> LockWriterAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var locking = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            locking.Parameters.AddWithValue("key", PostgresSchema.WriterLock);
            await locking.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // A statement of its own: its snapshot is taken after the lock, so it sees every earlier writer's commit.
        await using var latest = new NpgsqlCommand("SELECT COALESCE(MAX(id), 0) FROM audit_log", connection, transaction);
        return (long)(await latest.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task AppendAuditAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long now, string actor, List<(string Action, long Id, byte[] Key)> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        // unnest keeps the order of the arrays, so the events' ids follow the batch's order.
        await using var command = new NpgsqlCommand(
            "INSERT INTO audit_log(at, actor, action, memory_id, memory_key) SELECT @at, @actor, a, i, k FROM unnest(@a, @i, @k) WITH ORDINALITY AS e(a, i, k, n) ORDER BY n",
            connection,
            transaction);
        command.Parameters.AddWithValue("at", now);
        command.Parameters.AddWithValue("actor", actor);
        command.Parameters.AddWithValue("a", events.Select(e => e.Action).ToArray());
        command.Parameters.AddWithValue("i", events.Select(e => e.Id).ToArray());
        command.Parameters.Add(new NpgsqlParameter("k", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = events.Select(e => e.Key).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the new watermark, announces it to the other nodes (delivered at commit) and commits.</summary>
    private static async Task<long> CommitAndNotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int events, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            events > 0
                ? $"SELECT pg_notify('{PostgresSchema.ChangeChannel}', w::text), w FROM (SELECT COALESCE(MAX(id), 0) AS w FROM audit_log) AS latest"
                : "SELECT '', COALESCE(MAX(id), 0) FROM audit_log",
            connection,
            transaction);
        long watermark;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            watermark = reader.GetInt64(1);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return watermark;
    }

    public Task<IReadOnlyList<(long Id, double Score)>> SearchTextAsync(IReadOnlyList<string> terms, MemoryFilter filter, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(filter);
        // Only letters and digits reach to_tsquery: its own operators in a term would be a syntax error.
        var words = terms.Select(Sanitize).Where(w => w.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (words.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<(long, double)>>([]);
        }

        return WithConnectionAsync<IReadOnlyList<(long, double)>>(
            async connection =>
            {
                words = [.. await PruneCommonTermsAsync(connection, words, cancellationToken).ConfigureAwait(false)];
                await using var command = new NpgsqlCommand { Connection = connection };
                var sql = new StringBuilder(
                    """
                    SELECT m.id, ts_rank('{0.1, 0.2, 0.5, 1.0}', m.search, q.query) AS score
                    FROM memories m, (SELECT to_tsquery('english', @q) || to_tsquery('simple', @q) AS query) AS q
                    WHERE m.search @@ q.query
                    """);
                AppendFilter(command, filter, sql);
                sql.Append(" ORDER BY score DESC, m.id LIMIT @limit");
                command.CommandText = sql.ToString();
                command.Parameters.AddWithValue("q", string.Join(" | ", words));
                command.Parameters.AddWithValue("limit", limit);
                var results = new List<(long, double)>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    results.Add((reader.GetInt64(0), reader.GetFloat(1)));
                }

                return results;
            },
            cancellationToken);
    }

    /// <summary>
    /// The embedded store's rule (<see cref="CommonTerms"/>) on PostgreSQL, from the statistics
    /// ANALYZE keeps of the full-text column (its most common lexemes and the share of rows holding
    /// each), so writes pay nothing for it: a word counts as its most frequent lexeme, English stem
    /// or as written; one not among the most common is rare. A large table never analyzed yet is
    /// analyzed once here (autovacuum keeps it current after that).
    /// </summary>
    private async Task<IReadOnlyList<string>> PruneCommonTermsAsync(NpgsqlConnection connection, List<string> words, CancellationToken cancellationToken)
    {
        if (words.Count < 2)
        {
            return words;
        }

        for (var attempt = 0; ; attempt++)
        {
            await using var command = new NpgsqlCommand(
                """
                WITH stats AS (
                    SELECT most_common_elems::text::text[] AS elems, most_common_elem_freqs AS freqs FROM pg_stats
                    WHERE schemaname = current_schema() AND tablename = 'memories' AND attname = 'search'),
                lexemes AS (
                    SELECT w.word, l.lexeme FROM unnest(@words) AS w(word)
                    LEFT JOIN LATERAL unnest(tsvector_to_array(to_tsvector('english', w.word) || to_tsvector('simple', w.word))) AS l(lexeme) ON true)
                SELECT (SELECT COALESCE(MAX(id), 0) FROM memories), EXISTS (SELECT 1 FROM stats), x.word,
                       COALESCE(MAX(s.freqs[array_position(s.elems, x.lexeme)]), 0)
                FROM lexemes x LEFT JOIN stats s ON true
                GROUP BY x.word
                """,
                connection);
            command.Parameters.AddWithValue("words", words.ToArray());
            var counts = new List<(string Term, long Documents)>();
            var (size, analyzed) = (0L, false);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    (size, analyzed) = (reader.GetInt64(0), reader.GetBoolean(1));
                    counts.Add((reader.GetString(2), (long)(reader.GetFloat(3) * size)));
                }
            }

            if (!CommonTerms.Applies(counts.Count, size))
            {
                return words;
            }

            if (analyzed || attempt > 0 || Interlocked.Exchange(ref _analyzing, 1) == 1)
            {
                return analyzed ? CommonTerms.Keep(counts, size) : words;
            }

            await using var analyze = new NpgsqlCommand("ANALYZE memories (search)", connection);
            await analyze.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Sanitize(string term) => new([.. term.Where(char.IsLetterOrDigit)]);

    public Task<HashSet<long>> FilterIdsAsync(MemoryFilter filter, int? limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return WithConnectionAsync(
            async connection =>
            {
                await using var command = new NpgsqlCommand { Connection = connection };
                var sql = new StringBuilder("SELECT m.id FROM memories m WHERE true");
                AppendFilter(command, filter, sql);
                if (limit is { } most)
                {
                    sql.Append(" LIMIT @limit");
                    command.Parameters.AddWithValue("limit", most);
                }

                command.CommandText = sql.ToString();
                var ids = new HashSet<long>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    ids.Add(reader.GetInt64(0));
                }

                return ids;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<Memory>> GetMemoriesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return QueryMemoriesAsync($"SELECT {MemoryColumns} FROM memories m WHERE m.id = ANY(@ids)", cancellationToken, ("ids", ids.ToArray()));
    }

    public Task<IReadOnlyList<long>> FindOlderTurnsAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) =>
        WithConnectionAsync(connection => MemorySql.OlderTurnsAsync(connection, before, limit, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<Memory>> FindAsync(MemoryFilter filter, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return WithConnectionAsync<IReadOnlyList<Memory>>(
            async connection =>
            {
                await using var command = new NpgsqlCommand { Connection = connection };
                var sql = new StringBuilder($"SELECT {MemoryColumns} FROM memories m WHERE true");
                AppendFilter(command, filter, sql);
                sql.Append(" ORDER BY m.ts, m.id LIMIT @limit");
                command.Parameters.AddWithValue("limit", limit);
                command.CommandText = sql.ToString();
                return await ReadMemoriesAsync(command, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<Dictionary<long, (long? Previous, long? Next)>> GetNeighboursAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return WithConnectionAsync(
            async connection =>
            {
                var result = new Dictionary<long, (long?, long?)>(ids.Count);
                await using var command = new NpgsqlCommand(
                    """
                    SELECT m.id,
                      (SELECT p.id FROM memories p WHERE p.agent = m.agent AND p.session = m.session AND (p.seq, p.chunk) < (m.seq, m.chunk) ORDER BY p.seq DESC, p.chunk DESC LIMIT 1),
                      (SELECT n.id FROM memories n WHERE n.agent = m.agent AND n.session = m.session AND (n.seq, n.chunk) > (m.seq, m.chunk) ORDER BY n.seq, n.chunk LIMIT 1)
                    FROM memories m WHERE m.id = ANY(@ids)
                    """,
                    connection);
                command.Parameters.AddWithValue("ids", ids.ToArray());
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result[reader.GetInt64(0)] = (reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2));
                }

                return result;
            },
            cancellationToken);
    }

    public Task<string?> GetPrecedingTextAsync(string agent, string session, long sequence, CancellationToken cancellationToken) =>
        WithConnectionAsync(connection => MemorySql.PrecedingTextAsync(connection, agent, session, sequence, cancellationToken), cancellationToken);

    public async IAsyncEnumerable<(long Id, float[] Vector)> ReadVectorsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT m.id, e.vector FROM memories m JOIN embeddings e ON e.id = m.embedding_id ORDER BY m.id", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return (reader.GetInt64(0), VectorMath.FromBytes((byte[])reader.GetValue(1)));
        }
    }

    public Task<Dictionary<long, float[]>> GetVectorsAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return WithConnectionAsync(
            async connection =>
            {
                var result = new Dictionary<long, float[]>(ids.Count);
                await using var command = new NpgsqlCommand("SELECT m.id, e.vector FROM memories m JOIN embeddings e ON e.id = m.embedding_id WHERE m.id = ANY(@ids)", connection);
                command.Parameters.AddWithValue("ids", ids.ToArray());
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result[reader.GetInt64(0)] = VectorMath.FromBytes((byte[])reader.GetValue(1));
                }

                return result;
            },
            cancellationToken);
    }

    public Task<long?> FindIdAsync(string agent, string session, string entryId, CancellationToken cancellationToken) =>
        WithConnectionAsync(connection => MemorySql.FindIdAsync(connection, agent, session, entryId, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<(Memory Memory, float[] Vector)>> GetSessionMemoriesAsync(string agent, string session, long? maxSequence, DateTimeOffset? before, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(session);
        return QueryWithVectorsAsync(
            $"""
            SELECT {MemoryColumns}, e.vector
            FROM memories m JOIN embeddings e ON e.id = m.embedding_id
            WHERE m.agent = @agent AND m.session = @session AND (@max::bigint IS NULL OR m.seq <= @max) AND (@before::bigint IS NULL OR m.ts < @before)
            ORDER BY m.seq DESC, m.chunk DESC LIMIT @limit
            """,
            cancellationToken,
            ("agent", agent),
            ("session", session),
            ("max", (object?)maxSequence ?? DBNull.Value),
            ("before", before is { } b ? b.ToUnixTimeMilliseconds() : DBNull.Value),
            ("limit", limit));
    }

    public Task<IReadOnlyList<(Memory Memory, float[] Vector)>> GetMemoriesBetweenAsync(DateTimeOffset from, DateTimeOffset until, string? agent, int limit, CancellationToken cancellationToken) =>
        QueryWithVectorsAsync(
            $"""
            SELECT * FROM (
                SELECT {MemoryColumns}, e.vector
                FROM memories m JOIN embeddings e ON e.id = m.embedding_id
                WHERE m.ts >= @from AND m.ts < @until AND m.role <> 'digest' AND (@agent::text IS NULL OR m.agent = @agent)
                ORDER BY m.ts DESC LIMIT @limit) AS latest
            ORDER BY ts, agent, session, seq, chunk
            """,
            cancellationToken,
            ("from", from.ToUnixTimeMilliseconds()),
            ("until", until.ToUnixTimeMilliseconds()),
            ("agent", (object?)agent ?? DBNull.Value),
            ("limit", limit));

    public Task<IReadOnlyList<string>> GetActiveAgentsAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken) =>
        WithConnectionAsync(connection => MemorySql.ActiveAgentsAsync(connection, from, until, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<SessionSummary>> GetSessionsAsync(string? agent, int limit, CancellationToken cancellationToken) =>
        WithConnectionAsync<IReadOnlyList<SessionSummary>>(
            async connection =>
            {
                await using var command = new NpgsqlCommand(
                    """
                    SELECT agent, session, COUNT(*) FILTER (WHERE chunk = 0), MIN(ts), MAX(ts) FROM memories
                    WHERE @agent IS NULL OR agent = @agent
                    GROUP BY agent, session ORDER BY MAX(COALESCE(ts, created_at)) DESC, agent, session LIMIT @limit
                    """,
                    connection);
                command.Parameters.Add(new NpgsqlParameter("agent", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)agent ?? DBNull.Value });
                command.Parameters.AddWithValue("limit", limit);
                var sessions = new List<SessionSummary>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    sessions.Add(SessionSummary.Read(reader));
                }

                return sessions;
            },
            cancellationToken);

    public Task<IReadOnlyList<(string Agent, DateOnly Day, int Turns)>> CountTurnsPerDayAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken) =>
        WithConnectionAsync<IReadOnlyList<(string, DateOnly, int)>>(
            async connection =>
            {
                await using var command = new NpgsqlCommand(
                    """
                    SELECT agent, ts / 86400000 AS day, COUNT(*) FROM memories
                    WHERE ts >= @from AND ts < @until AND role <> 'digest' AND chunk = 0
                    GROUP BY agent, day ORDER BY agent, day
                    """,
                    connection);
                command.Parameters.AddWithValue("from", from.ToUnixTimeMilliseconds());
                command.Parameters.AddWithValue("until", until.ToUnixTimeMilliseconds());
                var counts = new List<(string, DateOnly, int)>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    counts.Add((reader.GetString(0), Day(reader.GetInt64(1)), (int)reader.GetInt64(2)));
                }

                return counts;
            },
            cancellationToken);

    public Task<(Dictionary<DateOnly, long> PerDay, long Recent, long RecentDistinct, long RecentEmpty)> IngestVolumeAsync(DateTimeOffset since, DateTimeOffset recent, CancellationToken cancellationToken) =>
        WithConnectionAsync(
            async connection =>
            {
                var perDay = new Dictionary<DateOnly, long>();
                await using (var days = new NpgsqlCommand("SELECT created_at / 86400000, count(*) FROM memories WHERE created_at >= @since GROUP BY 1", connection))
                {
                    days.Parameters.AddWithValue("since", since.ToUnixTimeMilliseconds());
                    await using var reader = await days.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        perDay[Day(reader.GetInt64(0))] = reader.GetInt64(1);
                    }
                }

                await using var latest = new NpgsqlCommand("SELECT count(*), count(DISTINCT content_hash), count(*) FILTER (WHERE trim(text) = '') FROM memories WHERE created_at >= @recent", connection);
                latest.Parameters.AddWithValue("recent", recent.ToUnixTimeMilliseconds());
                await using var row = await latest.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await row.ReadAsync(cancellationToken).ConfigureAwait(false);
                return (perDay, row.GetInt64(0), row.GetInt64(1), row.GetInt64(2));
            },
            cancellationToken);

    public async Task<string?> QuickCheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await WithConnectionAsync(
                async connection =>
                {
                    await using var command = new NpgsqlCommand("SELECT 1", connection);
                    await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                    return (string?)null;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException ex)
        {
            return ex.Message;
        }
    }

    public Task<(long Watermark, long Count)> GetWatermarkAsync(CancellationToken cancellationToken) =>
        WithConnectionAsync(connection => MemorySql.WatermarkAsync(connection, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<(long EventId, string Action, long MemoryId)>> GetChangesSinceAsync(long watermark, CancellationToken cancellationToken) =>
        WithConnectionAsync(connection => MemorySql.ChangesSinceAsync(connection, watermark, cancellationToken), cancellationToken);

    public Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken) =>
        WithConnectionAsync(
            async connection =>
            {
                await using var command = new NpgsqlCommand(
                    """
                    SELECT (SELECT COUNT(*) FROM memories),
                           (SELECT COUNT(*) FROM (SELECT DISTINCT agent, session FROM memories) AS s),
                           (SELECT COUNT(DISTINCT agent) FROM memories),
                           (SELECT COUNT(DISTINCT source) FROM memories),
                           (SELECT COUNT(*) FROM embeddings),
                           (SELECT COUNT(*) FROM audit_log),
                           (SELECT MIN(ts) FROM memories),
                           (SELECT MAX(ts) FROM memories),
                           pg_database_size(current_database()),
                           (SELECT value FROM store_meta WHERE key = 'embedding_model')
                    """,
                    connection);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return StoreStats.Read(reader);
            },
            cancellationToken);

    /// <summary>The search column is computed from each row by PostgreSQL; rebuilding the index over it is enough.</summary>
    public Task<long> RebuildTextIndexAsync(CancellationToken cancellationToken) =>
        WithConnectionAsync(
            async connection =>
            {
                await using (var reindex = new NpgsqlCommand("REINDEX INDEX ix_memories_search", connection))
                {
                    await reindex.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM memories", connection);
                return Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            },
            cancellationToken);

    /// <summary>PostgreSQL checks its own pages; this checks Mnemo's invariants: every memory has its vector, and the audit log accounts for every memory.</summary>
    public Task<string> CheckIntegrityAsync(CancellationToken cancellationToken) =>
        WithConnectionAsync(
            async connection =>
            {
                await using var command = new NpgsqlCommand(
                    """
                    SELECT (SELECT COUNT(*) FROM memories m WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.id = m.embedding_id)),
                           (SELECT COUNT(*) FROM memories m WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.memory_id = m.id AND a.action = 'add'))
                    """,
                    connection);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var (noVector, noAudit) = (reader.GetInt64(0), reader.GetInt64(1));
                var problems = new List<string>();
                if (noVector > 0)
                {
                    problems.Add(FormattableString.Invariant($"{noVector} memories have no vector"));
                }

                if (noAudit > 0)
                {
                    problems.Add(FormattableString.Invariant($"{noAudit} memories have no 'add' event in the audit log"));
                }

                return problems.Count == 0 ? "ok" : string.Join('\n', problems);
            },
            cancellationToken);

    public async ValueTask DisposeAsync() => await DataSource.DisposeAsync().ConfigureAwait(false);

    private Task<IReadOnlyList<Memory>> QueryMemoriesAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters) =>
        WithConnectionAsync(
            async connection =>
            {
                await using var command = new NpgsqlCommand(sql, connection);
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                return await ReadMemoriesAsync(command, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

    private static async Task<IReadOnlyList<Memory>> ReadMemoriesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var result = new List<Memory>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(ReadMemory(reader));
        }

        return result;
    }

    private Task<IReadOnlyList<(Memory Memory, float[] Vector)>> QueryWithVectorsAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters) =>
        WithConnectionAsync<IReadOnlyList<(Memory, float[])>>(
            async connection =>
            {
                await using var command = new NpgsqlCommand(sql, connection);
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                var result = new List<(Memory, float[])>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result.Add((ReadMemory(reader), VectorMath.FromBytes((byte[])reader.GetValue(12))));
                }

                return result;
            },
            cancellationToken);

    private static Memory ReadMemory(DbDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
        reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        reader.GetString(7), reader.GetInt64(8), reader.GetInt32(9), reader.GetBoolean(10),
        reader.IsDBNull(11) ? null : reader.GetString(11));

    private static DateOnly Day(long dayNumber) => DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)dayNumber);

    /// <summary>
    /// Sets a row's values on the insert or update command. The parameters are created once, with
    /// their types, and only their values change: the command is auto-prepared after a few rows,
    /// and a prepared statement must keep the parameters it was prepared with.
    /// </summary>
    private static void Bind(NpgsqlCommand command, NewMemory memory, long now)
    {
        if (command.Parameters.Count == 0)
        {
            foreach (var (name, type) in MemoryParameters)
            {
                command.Parameters.Add(new NpgsqlParameter(name, type));
            }
        }

        var p = command.Parameters;
        p["key"].Value = memory.Key;
        p["agent"].Value = memory.Agent;
        p["session"].Value = memory.Session;
        p["entry"].Value = memory.EntryId;
        p["parent"].Value = (object?)memory.ParentId ?? DBNull.Value;
        p["chunk"].Value = memory.Chunk;
        p["seq"].Value = memory.Sequence;
        p["role"].Value = memory.Role;
        p["speaker"].Value = (object?)memory.Speaker ?? DBNull.Value;
        p["tool"].Value = (object?)memory.Tool ?? DBNull.Value;
        p["untrusted"].Value = memory.Untrusted;
        p["text"].Value = memory.Text;
        p["context"].Value = memory.IndexContext;
        p["ts"].Value = memory.Timestamp is { } ts ? ts.ToUnixTimeMilliseconds() : DBNull.Value;
        p["source"].Value = memory.Source;
        p["content"].Value = memory.ContentHash;
        p["embedding"].Value = memory.EmbeddingHash;
        p["now"].Value = now;
    }

    private static readonly (string Name, NpgsqlDbType Type)[] MemoryParameters =
    [
        ("key", NpgsqlDbType.Bytea), ("agent", NpgsqlDbType.Text), ("session", NpgsqlDbType.Text), ("entry", NpgsqlDbType.Text),
        ("parent", NpgsqlDbType.Text), ("chunk", NpgsqlDbType.Integer), ("seq", NpgsqlDbType.Bigint), ("role", NpgsqlDbType.Text),
        ("speaker", NpgsqlDbType.Text), ("tool", NpgsqlDbType.Text), ("untrusted", NpgsqlDbType.Boolean), ("text", NpgsqlDbType.Text),
        ("context", NpgsqlDbType.Text), ("ts", NpgsqlDbType.Bigint), ("source", NpgsqlDbType.Text), ("content", NpgsqlDbType.Bytea),
        ("embedding", NpgsqlDbType.Bytea), ("now", NpgsqlDbType.Bigint),
    ];

    private static void AppendFilter(NpgsqlCommand command, MemoryFilter filter, StringBuilder sql)
    {
        foreach (var (condition, name, value) in filter.Conditions())
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND m.{condition} @{name}");
            command.Parameters.AddWithValue(name, value);
        }
    }
}
