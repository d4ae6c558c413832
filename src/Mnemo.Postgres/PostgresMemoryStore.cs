using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
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
/// seen event N has seen every event before it. The statements both databases share are in
/// <see cref="SqlMemoryStore"/>; this is PostgreSQL's dialect: arrays for id lists, bulk inserts
/// with <c>unnest</c>, the change announced with <c>pg_notify</c>, and full-text search.
/// </summary>
public sealed class PostgresMemoryStore : SqlMemoryStore
{
    private int _analyzing;

    private PostgresMemoryStore(NpgsqlDataSource dataSource, string location, TimeProvider time)
        : base(time)
    {
        DataSource = dataSource;
        Location = location;
    }

    /// <summary>The pooled connections to the database (the coordination classes share it).</summary>
    public NpgsqlDataSource DataSource { get; }

    public override string Location { get; }

    public override SqlDialect Dialect => SqlDialect.Postgres;

    protected override string ModelMismatchAdvice => "Every node must use the same model.";

    protected override bool StoresIndexContext => true;

    protected override string DatabaseSizeSql => "pg_database_size(current_database())";

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

    protected override StoreUnavailableException Unavailable(Exception exception) =>
        new($"the PostgreSQL store at {Location} is unreachable ({exception.Message}); requests fail until it is back", exception);

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

    protected override async Task<DbConnection> OpenStoreConnectionAsync(CancellationToken cancellationToken) =>
        await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override bool IsConnectionLost(Exception exception) => IsUnavailable(exception);

    /// <summary>A transaction holding the writer's advisory lock until it ends.</summary>
    protected override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var locking = Command(connection, transaction, "SELECT pg_advisory_xact_lock(@key)");
        locking.Bind("@key", PostgresSchema.WriterLock);
        await locking.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return transaction;
    }

    protected override string InIds(DbCommand command, string column, IEnumerable<long> ids, string name = "@ids")
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ids.ToArray() });
        return $"{column} = ANY({name})";
    }

    protected override string InKeys(DbCommand command, string column, IReadOnlyCollection<byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Parameters.Add(new NpgsqlParameter("@keys", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = keys.ToArray() });
        return $"{column} = ANY(@keys)";
    }

    /// <summary>All the batch's new embeddings in one statement.</summary>
    protected override async Task InsertEmbeddingsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<StoredEmbedding> embeddings, string modelId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        await using var insert = Command(connection, transaction, "INSERT INTO embeddings(hash, model, dims, vector) SELECT h, @m, d, v FROM unnest(@h, @d, @v) AS e(h, d, v) ON CONFLICT (hash) DO NOTHING");
        insert.Bind("@m", modelId);
        insert.Parameters.Add(new NpgsqlParameter("@h", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = embeddings.Select(e => e.Hash).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter("@d", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = embeddings.Select(e => e.Vector.Length).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter("@v", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = embeddings.Select(e => VectorMath.ToBytes(e.Vector)).ToArray() });
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>All the batch's audit events in one statement; <c>unnest</c> keeps the arrays' order, so the ids follow the batch's.</summary>
    protected override async Task AppendAuditAsync(DbConnection connection, DbTransaction transaction, long now, string actor, IReadOnlyList<(string Action, long Id, byte[] Key)> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        await using var command = Command(connection, transaction, "INSERT INTO audit_log(at, actor, action, memory_id, memory_key) SELECT @at, @actor, a, i, k FROM unnest(@a, @i, @k) WITH ORDINALITY AS e(a, i, k, n) ORDER BY n");
        command.Bind("@at", now).Bind("@actor", actor);
        command.Parameters.Add(new NpgsqlParameter("@a", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.Action).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("@i", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = events.Select(e => e.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("@k", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = events.Select(e => e.Key).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Tells the other nodes the new watermark; PostgreSQL delivers it when the transaction commits.</summary>
    protected override async Task AnnounceAsync(DbConnection connection, DbTransaction transaction, long watermark, CancellationToken cancellationToken)
    {
        await using var notify = Command(connection, transaction, $"SELECT pg_notify('{PostgresSchema.ChangeChannel}', @w)");
        notify.Bind("@w", watermark.ToString(CultureInfo.InvariantCulture));
        await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override Task<IReadOnlyList<(long Id, double Score)>> SearchTextAsync(IReadOnlyList<string> terms, MemoryFilter filter, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(filter);
        // Only letters and digits reach to_tsquery: its own operators in a term would be a syntax error.
        var words = terms.Select(Sanitize).Where(w => w.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (words.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<(long, double)>>([]);
        }

        return RunAsync<IReadOnlyList<(long, double)>>(
            async connection =>
            {
                words = [.. await PruneCommonTermsAsync((NpgsqlConnection)connection, words, cancellationToken).ConfigureAwait(false)];
                await using var command = new NpgsqlCommand { Connection = (NpgsqlConnection)connection };
                var sql = new StringBuilder(
                    """
                    SELECT m.id, ts_rank('{0.1, 0.2, 0.5, 1.0}', m.search, q.query) AS score
                    FROM memories m, (SELECT to_tsquery('english', @q) || to_tsquery('simple', @q) AS query) AS q
                    WHERE m.search @@ q.query
                    """);
                AppendFilter(command, filter, sql, "m");
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

    public override async Task<string?> QuickCheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(
                async connection =>
                {
                    await using var command = new NpgsqlCommand("SELECT 1", (NpgsqlConnection)connection);
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
    /// <summary>The search column is computed from each row by PostgreSQL; rebuilding the index over it is enough.</summary>
    public override Task<long> RebuildTextIndexAsync(CancellationToken cancellationToken) =>
        RunAsync(
            async connection =>
            {
                await using (var reindex = new NpgsqlCommand("REINDEX INDEX ix_memories_search", (NpgsqlConnection)connection))
                {
                    await reindex.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM memories", (NpgsqlConnection)connection);
                return Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            },
            cancellationToken);

    /// <summary>PostgreSQL checks its own pages; this checks Mnemo's invariants: every memory has its vector, and the audit log accounts for every memory.</summary>
    public override Task<string> CheckIntegrityAsync(CancellationToken cancellationToken) =>
        RunAsync(
            async connection =>
            {
                await using var command = Command(
                    connection,
                    null,
                    """
                    SELECT (SELECT COUNT(*) FROM memories m WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.id = m.embedding_id)),
                           (SELECT COUNT(*) FROM memories m WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.memory_id = m.id AND a.action = 'add'))
                    """);
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

    public override async ValueTask DisposeAsync() => await DataSource.DisposeAsync().ConfigureAwait(false);
}
