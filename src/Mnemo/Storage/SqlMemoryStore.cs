using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Mnemo.Domain;
using Mnemo.Embeddings;

namespace Mnemo.Storage;

/// <summary>
/// The memory store written once over plain ADO.NET: every statement both databases run the same
/// way (named <c>@parameters</c>, <c>ON CONFLICT</c>, <c>RETURNING</c>, aggregate <c>FILTER</c>,
/// row comparisons) lives here. A subclass is a dialect and says only what differs: how to
/// connect and take the writer's lock, how a list of ids or keys is passed, and the full-text
/// index (SQLite's FTS5 table beside the rows; PostgreSQL's weighted <c>tsvector</c> column
/// computed from them) with its search and its checks.
/// </summary>
public abstract class SqlMemoryStore : IMemoryStore, IRecordDatabase
{
    /// <summary>The columns <see cref="ReadMemory"/> reads, in its order, from the memories table as <c>m</c>.</summary>
    protected const string MemoryColumns = "m.id, m.agent, m.session, m.entry_id, m.role, m.text, m.ts, m.source, m.seq, m.chunk, m.untrusted, m.speaker";

    private static readonly (string Name, DbType Type)[] MemoryParameters =
    [
        ("@key", DbType.Binary), ("@agent", DbType.String), ("@session", DbType.String), ("@entry", DbType.String),
        ("@parent", DbType.String), ("@chunk", DbType.Int32), ("@seq", DbType.Int64), ("@role", DbType.String),
        ("@speaker", DbType.String), ("@tool", DbType.String), ("@untrusted", DbType.Boolean), ("@text", DbType.String),
        ("@context", DbType.String), ("@ts", DbType.Int64), ("@source", DbType.String), ("@content", DbType.Binary),
        ("@embedding", DbType.Binary), ("@now", DbType.Int64),
    ];

    protected SqlMemoryStore(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Time = time;
    }

    public abstract string Location { get; }

    public abstract SqlDialect Dialect { get; }

    protected TimeProvider Time { get; }

    /// <summary>What a user whose store holds another model's vectors should do, for the error message.</summary>
    protected abstract string ModelMismatchAdvice { get; }

    /// <summary>True when the memories table keeps the date words in a <c>context</c> column (the full-text column is computed from the row).</summary>
    protected virtual bool StoresIndexContext => false;

    /// <summary>An expression for the database's size in bytes, for the statistics.</summary>
    protected abstract string DatabaseSizeSql { get; }

    /// <summary>A pooled, open connection; a database that cannot be reached throws <see cref="StoreUnavailableException"/>.</summary>
    protected abstract Task<DbConnection> OpenStoreConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Begins a write: a transaction that holds the one writer's lock, so audit ids follow commit order.</summary>
    protected abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>A condition that <paramref name="column"/> is one of <paramref name="ids"/>, binding them to <paramref name="command"/> as <paramref name="name"/>.</summary>
    protected abstract string InIds(DbCommand command, string column, IEnumerable<long> ids, string name = "@ids");

    /// <summary>A condition that the binary <paramref name="column"/> is one of <paramref name="keys"/> (at most 500).</summary>
    protected abstract string InKeys(DbCommand command, string column, IReadOnlyCollection<byte[]> keys);

    /// <summary>True when an exception means the database was lost mid-query (rather than a bad query).</summary>
    protected virtual bool IsConnectionLost(Exception exception) => false;

    /// <summary>The error a lost database becomes.</summary>
    protected virtual StoreUnavailableException Unavailable(Exception exception) =>
        new($"the store at {Location} is unreachable ({exception.Message})", exception);

    /// <summary>Writes the full-text entries of rows just written (<c>Replaced</c>: an update, whose old entry goes).</summary>
    protected virtual Task IndexTextAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(long Id, NewMemory Memory, bool Replaced)> rows, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Removes the full-text entries of forgotten memories.</summary>
    protected virtual Task RemoveTextAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<long> ids, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Announces a committed change (delivered at commit) to whoever follows the store.</summary>
    protected virtual Task AnnounceAsync(DbConnection connection, DbTransaction transaction, long watermark, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    async Task<DbConnection> IRecordDatabase.OpenRecordConnectionAsync(CancellationToken cancellationToken) =>
        await OpenStoreConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Runs a query on a pooled connection, turning a lost database into <see cref="StoreUnavailableException"/>.</summary>
    protected async Task<T> RunAsync<T>(Func<DbConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            await using var connection = await OpenStoreConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await action(connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not StoreUnavailableException && IsConnectionLost(ex))
        {
            throw Unavailable(ex);
        }
    }

    public Task<string?> GetEmbeddingModelAsync(CancellationToken cancellationToken) =>
        RunAsync(connection => ScalarAsync<string>(connection, "SELECT value FROM store_meta WHERE key = 'embedding_model'", cancellationToken), cancellationToken);

    public async Task EnsureEmbeddingModelAsync(string modelId, int dimensions, CancellationToken cancellationToken)
    {
        var expected = EmbeddingModelRecord.Of(modelId, dimensions);
        var actual = await RunAsync(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "INSERT INTO store_meta(key, value) VALUES ('embedding_model', @v) ON CONFLICT (key) DO NOTHING; SELECT value FROM store_meta WHERE key = 'embedding_model';";
                command.Bind("@v", expected);
                var recorded = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                if (EmbeddingModelRecord.MayName(recorded, expected, dimensions))
                {
                    await using var name = connection.CreateCommand();
                    name.CommandText = "UPDATE store_meta SET value = @v WHERE key = 'embedding_model' AND value = @old";
                    name.Bind("@v", expected).Bind("@old", recorded);
                    await name.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    recorded = expected;
                }

                return recorded;
            },
            cancellationToken).ConfigureAwait(false);
        if (actual != expected)
        {
            throw new InvalidOperationException($"{Location} holds vectors from embedding model '{actual}', but '{expected}' is configured. {ModelMismatchAdvice}");
        }
    }

    public Task<string?> GetCursorAsync(string source, CancellationToken cancellationToken) =>
        RunAsync(connection => ScalarAsync<string>(connection, "SELECT cursor FROM cursors WHERE source = @s", cancellationToken, ("@s", source)), cancellationToken);

    public Task<Dictionary<string, byte[]>> FindExistingAsync(IReadOnlyCollection<byte[]> keys, CancellationToken cancellationToken) =>
        RunAsync(connection => ReadByKeysAsync(connection, null, "memories", "memory_key", "content_hash", keys, bytes => bytes, cancellationToken), cancellationToken);

    public Task<Dictionary<string, float[]>> GetEmbeddingsAsync(IReadOnlyCollection<byte[]> hashes, CancellationToken cancellationToken) =>
        RunAsync(connection => ReadByKeysAsync(connection, null, "embeddings", "hash", "vector", hashes, bytes => VectorMath.FromBytes(bytes), cancellationToken), cancellationToken);

    /// <summary>Reads a binary key column and a binary value column for some keys, 500 at a time (hex key to value).</summary>
    private async Task<Dictionary<string, T>> ReadByKeysAsync<T>(DbConnection connection, DbTransaction? transaction, string table, string keyColumn, string valueColumn, IReadOnlyCollection<byte[]> keys, Func<byte[], T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var chunk in keys.Chunk(500))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"SELECT {keyColumn}, {valueColumn} FROM {table} WHERE {InKeys(command, keyColumn, chunk)}";
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
    /// content under a key changed), their full-text entries, an audit event each, and the source
    /// cursor. The writer's lock is held from the first read of the audit log to the commit.
    /// </summary>
    public Task<BatchResult> WriteBatchAsync(IReadOnlyList<NewMemory> memories, IReadOnlyList<StoredEmbedding> embeddings, string modelId, SourceCursor? cursor, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memories);
        ArgumentNullException.ThrowIfNull(embeddings);
        return RunAsync(
            async connection =>
            {
                var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
                var (added, updated, unchanged) = (new List<(long, byte[])>(), new List<(long, byte[])>(), 0);
                await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
                var previous = await LastEventAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                if (embeddings.Count > 0)
                {
                    await InsertEmbeddingsAsync(connection, transaction, embeddings, modelId, cancellationToken).ConfigureAwait(false);
                }

                var existing = await ReadByKeysAsync(connection, transaction, "memories", "memory_key", "content_hash", [.. memories.Select(m => m.Key)], bytes => bytes, cancellationToken).ConfigureAwait(false);
                var (context, contextValue, setContext) = StoresIndexContext ? (", context", ", @context", ", context = @context") : (string.Empty, string.Empty, string.Empty);
                await using var insert = Command(connection, transaction, $"""
                    INSERT INTO memories(memory_key, agent, session, entry_id, parent_id, chunk, seq, role, speaker, tool, untrusted, text{context}, ts, source, content_hash, embedding_id, created_at)
                    VALUES (@key, @agent, @session, @entry, @parent, @chunk, @seq, @role, @speaker, @tool, @untrusted, @text{contextValue}, @ts, @source, @content, (SELECT id FROM embeddings WHERE hash = @embedding), @now)
                    RETURNING id
                    """);
                await using var update = Command(connection, transaction, $"""
                    UPDATE memories SET parent_id = @parent, role = @role, speaker = @speaker, tool = @tool, untrusted = @untrusted, text = @text{setContext},
                        ts = @ts, source = @source, content_hash = @content, embedding_id = (SELECT id FROM embeddings WHERE hash = @embedding)
                    WHERE memory_key = @key
                    RETURNING id
                    """);
                var written = new List<(long Id, NewMemory Memory, bool Replaced)>();
                foreach (var memory in memories)
                {
                    var hex = Convert.ToHexString(memory.Key);
                    var isNew = !existing.TryGetValue(hex, out var hash);
                    if (!isNew && hash!.AsSpan().SequenceEqual(memory.ContentHash))
                    {
                        unchanged++;
                        continue;
                    }

                    var command = isNew ? insert : update;
                    SetValues(command, memory, now);
                    var id = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                    (isNew ? added : updated).Add((id, memory.EmbeddingHash));
                    written.Add((id, memory, !isNew));
                    existing[hex] = memory.ContentHash;
                }

                await IndexTextAsync(connection, transaction, written, cancellationToken).ConfigureAwait(false);
                if (written.Count > 0)
                {
                    await AppendAuditAsync(connection, transaction, now, actor, [.. written.Select(w => (w.Replaced ? "update" : "add", w.Id, w.Memory.Key))], cancellationToken).ConfigureAwait(false);
                }
                if (cursor is not null)
                {
                    await using var saveCursor = Command(connection, transaction, """
                        INSERT INTO cursors(source, format, cursor, updated_at) VALUES (@s, @f, @c, @now)
                        ON CONFLICT (source) DO UPDATE SET format = excluded.format, cursor = excluded.cursor, updated_at = excluded.updated_at
                        """);
                    saveCursor.Bind("@s", cursor.Source).Bind("@f", cursor.Format).Bind("@c", cursor.Cursor).Bind("@now", now);
                    await saveCursor.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var watermark = await CommitAsync(connection, transaction, written.Count, cancellationToken).ConfigureAwait(false);
                return new BatchResult(added, updated, unchanged, previous, watermark);
            },
            cancellationToken);
    }

    /// <summary>
    /// Deletes memories (row, full-text entry, and the embedding when nothing else uses it: its
    /// text could be recovered from the vector) and records a <c>forget</c> event for each, without
    /// the text. Returns the ids that existed, in the order asked.
    /// </summary>
    public Task<(IReadOnlyList<long> Forgotten, long Previous, long Watermark)> ForgetAsync(IReadOnlyCollection<long> ids, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var asked = ids.Distinct().ToList();
        return RunAsync<(IReadOnlyList<long>, long, long)>(
            async connection =>
            {
                var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
                await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
                var previous = await LastEventAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                var deleted = new Dictionary<long, (byte[] Key, long Embedding)>();
                if (asked.Count > 0)
                {
                    await using var delete = Command(connection, transaction, string.Empty);
                    delete.CommandText = $"DELETE FROM memories WHERE {InIds(delete, "id", asked)} RETURNING id, memory_key, embedding_id";
                    await using var reader = await delete.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        deleted[reader.GetInt64(0)] = ((byte[])reader.GetValue(1), reader.GetInt64(2));
                    }
                }

                var forgotten = asked.Where(deleted.ContainsKey).ToList();
                if (forgotten.Count > 0)
                {
                    await RemoveTextAsync(connection, transaction, forgotten, cancellationToken).ConfigureAwait(false);
                    await using var orphans = Command(connection, transaction, string.Empty);
                    orphans.CommandText = $"DELETE FROM embeddings WHERE {InIds(orphans, "id", deleted.Values.Select(d => d.Embedding).Distinct(), "@embeddings")} AND NOT EXISTS (SELECT 1 FROM memories m WHERE m.embedding_id = embeddings.id)";
                    await orphans.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    await AppendAuditAsync(connection, transaction, now, actor, [.. forgotten.Select(id => ("forget", id, deleted[id].Key))], cancellationToken).ConfigureAwait(false);
                }

                var watermark = await CommitAsync(connection, transaction, forgotten.Count, cancellationToken).ConfigureAwait(false);
                return (forgotten, previous, watermark);
            },
            cancellationToken);
    }

    /// <summary>Adds embeddings not stored yet, one statement per row (a dialect may do it in one).</summary>
    protected virtual async Task InsertEmbeddingsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<StoredEmbedding> embeddings, string modelId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        await using var insert = Command(connection, transaction, "INSERT INTO embeddings(hash, model, dims, vector) VALUES (@h, @m, @d, @v) ON CONFLICT (hash) DO NOTHING");
        insert.Bind("@m", modelId);
        var (hash, dims, vector) = (Parameter(insert, "@h", DbType.Binary), Parameter(insert, "@d", DbType.Int32), Parameter(insert, "@v", DbType.Binary));
        foreach (var embedding in embeddings)
        {
            (hash.Value, dims.Value, vector.Value) = (embedding.Hash, embedding.Vector.Length, VectorMath.ToBytes(embedding.Vector));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Appends audit events (at least one) in order, one statement per event (a dialect may do it in one).</summary>
    protected virtual async Task AppendAuditAsync(DbConnection connection, DbTransaction transaction, long now, string actor, IReadOnlyList<(string Action, long Id, byte[] Key)> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        await using var audit = Command(connection, transaction, "INSERT INTO audit_log(at, actor, action, memory_id, memory_key) VALUES (@at, @actor, @action, @id, @key)");
        audit.Bind("@at", now).Bind("@actor", actor);
        var (action, id, key) = (Parameter(audit, "@action", DbType.String), Parameter(audit, "@id", DbType.Int64), Parameter(audit, "@key", DbType.Binary));
        foreach (var e in events)
        {
            (action.Value, id.Value, key.Value) = (e.Action, e.Id, e.Key);
            await audit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The latest audit id. Read after the writer's lock is taken (a statement of its own), no other writer can add one before the commit.</summary>
    private static async Task<long> LastEventAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var last = Command(connection, transaction, "SELECT COALESCE(MAX(id), 0) FROM audit_log");
        return Convert.ToInt64(await last.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>Reads the new watermark, announces it when something changed, and commits.</summary>
    private async Task<long> CommitAsync(DbConnection connection, DbTransaction transaction, int events, CancellationToken cancellationToken)
    {
        var watermark = await LastEventAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (events > 0)
        {
            await AnnounceAsync(connection, transaction, watermark, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return watermark;
    }

    public abstract Task<IReadOnlyList<(long Id, double Score)>> SearchTextAsync(IReadOnlyList<string> terms, MemoryFilter filter, int limit, CancellationToken cancellationToken);

    /// <summary>Full-text candidates when the caller holds the ids the filter allows; by default the filter is evaluated again.</summary>
    public virtual Task<IReadOnlyList<(long Id, double Score)>> SearchTextAsync(IReadOnlyList<string> terms, MemoryFilter filter, IReadOnlySet<long> allowed, int limit, CancellationToken cancellationToken) =>
        SearchTextAsync(terms, filter, limit, cancellationToken);

    public Task<HashSet<long>> FilterIdsAsync(MemoryFilter filter, int? limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return RunAsync(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                var sql = new StringBuilder("SELECT m.id FROM memories m WHERE 1 = 1");
                AppendFilter(command, filter, sql, "m");
                if (limit is { } most)
                {
                    sql.Append(" LIMIT @limit");
                    command.Bind("@limit", most);
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
        return RunAsync(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT {MemoryColumns} FROM memories m WHERE {InIds(command, "m.id", ids)}";
                return await ReadMemoriesAsync(command, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <summary>Ids of conversation memories (not digests, not facts the agent was told to remember) whose turn is older than <paramref name="before"/>, oldest first.</summary>
    public Task<IReadOnlyList<long>> FindOlderTurnsAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<long>>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT id FROM memories WHERE ts < @before AND role NOT IN ('digest', 'note') ORDER BY ts LIMIT @limit";
                command.Bind("@before", before.ToUnixTimeMilliseconds()).Bind("@limit", limit);
                var ids = new List<long>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    ids.Add(reader.GetInt64(0));
                }

                return ids;
            },
            cancellationToken);

    /// <summary>The memories matching every part of the filter (agent, session, role, source, time range), oldest first.</summary>
    public Task<IReadOnlyList<Memory>> FindAsync(MemoryFilter filter, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return RunAsync(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                var sql = new StringBuilder($"SELECT {MemoryColumns} FROM memories m WHERE 1 = 1");
                AppendFilter(command, filter, sql, "m");
                sql.Append(" ORDER BY m.ts, m.id LIMIT @limit");
                command.Bind("@limit", limit);
                command.CommandText = sql.ToString();
                return await ReadMemoriesAsync(command, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <summary>
    /// For each memory, the memories just before and after it in its session (null at the ends).
    /// Turns of a session are stored in order, so the neighbours are usually the ids on either
    /// side: those are checked with one primary-key lookup, and only the rest are searched for.
    /// </summary>
    public Task<Dictionary<long, (long? Previous, long? Next)>> GetNeighboursAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return RunAsync(
            async connection =>
            {
                var result = new Dictionary<long, (long?, long?)>(ids.Count);
                var positions = new Dictionary<long, (string Agent, string Session, long Seq, long Chunk)>();
                await using (var command = connection.CreateCommand())
                {
                    command.CommandText = $"SELECT id, agent, session, seq, chunk FROM memories WHERE {InIds(command, "id", ids.SelectMany(id => new[] { id - 1, id, id + 1 }).Distinct())}";
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
                foreach (var id in ids.Where(positions.ContainsKey))
                {
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
                        FROM memories m WHERE {InIds(command, "m.id", unresolved)}
                        """;
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        result[reader.GetInt64(0)] = (reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2));
                    }
                }

                return result;
            },
            cancellationToken);
    }

    /// <summary>The text of the memory just before a position in a session, to give a resumed ingest its context.</summary>
    public Task<string?> GetPrecedingTextAsync(string agent, string session, long sequence, CancellationToken cancellationToken) =>
        RunAsync(
            connection => ScalarAsync<string>(connection, "SELECT text FROM memories WHERE agent = @a AND session = @s AND seq < @q ORDER BY seq DESC, chunk DESC LIMIT 1", cancellationToken, ("@a", agent), ("@s", session), ("@q", sequence)),
            cancellationToken);

    /// <summary>The id of an entry's first chunk, or null.</summary>
    public Task<long?> FindIdAsync(string agent, string session, string entryId, CancellationToken cancellationToken) =>
        RunAsync(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT id FROM memories WHERE agent = @agent AND session = @session AND entry_id = @entry ORDER BY chunk LIMIT 1";
                command.Bind("@agent", agent).Bind("@session", session).Bind("@entry", entryId);
                return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long id ? id : (long?)null;
            },
            cancellationToken);

    /// <summary>Every memory id with its vector, in id order: what the vector index is derived from.</summary>
    public async IAsyncEnumerable<(long Id, float[] Vector)> ReadVectorsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenStoreConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT m.id, e.vector FROM memories m JOIN embeddings e ON e.id = m.embedding_id ORDER BY m.id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return (reader.GetInt64(0), VectorMath.FromBytes((byte[])reader.GetValue(1)));
        }
    }

    public Task<Dictionary<long, float[]>> GetVectorsAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return RunAsync(
            async connection =>
            {
                var result = new Dictionary<long, float[]>(ids.Count);
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT m.id, e.vector FROM memories m JOIN embeddings e ON e.id = m.embedding_id WHERE {InIds(command, "m.id", ids)}";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result[reader.GetInt64(0)] = VectorMath.FromBytes((byte[])reader.GetValue(1));
                }

                return result;
            },
            cancellationToken);
    }

    /// <summary>
    /// A session's memories up to a position (or before a time), newest first, with their vectors:
    /// what left the context at a compaction.
    /// </summary>
    public Task<IReadOnlyList<(Memory Memory, float[] Vector)>> GetSessionMemoriesAsync(string agent, string session, long? maxSequence, DateTimeOffset? before, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(session);
        return RunAsync(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"""
                    SELECT {MemoryColumns}, e.vector
                    FROM memories m JOIN embeddings e ON e.id = m.embedding_id
                    WHERE m.agent = @agent AND m.session = @session AND (@max IS NULL OR m.seq <= @max) AND (@before IS NULL OR m.ts < @before)
                    ORDER BY m.seq DESC, m.chunk DESC LIMIT @limit
                    """;
                command.Bind("@agent", agent).Bind("@session", session).Bind("@max", maxSequence, DbType.Int64)
                    .Bind("@before", before?.ToUnixTimeMilliseconds(), DbType.Int64).Bind("@limit", limit);
                return await ReadWithVectorsAsync(command, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <summary>
    /// The conversation memories said in [<paramref name="from"/>, <paramref name="until"/>),
    /// oldest first, with their vectors; digests are left out. Over <paramref name="limit"/> the
    /// newest are kept: what digests and signals read is the latest, not the oldest.
    /// </summary>
    public Task<IReadOnlyList<(Memory Memory, float[] Vector)>> GetMemoriesBetweenAsync(DateTimeOffset from, DateTimeOffset until, string? agent, int limit, CancellationToken cancellationToken) =>
        RunAsync(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"""
                    SELECT * FROM (
                        SELECT {MemoryColumns}, e.vector
                        FROM memories m JOIN embeddings e ON e.id = m.embedding_id
                        WHERE m.ts >= @from AND m.ts < @until AND m.role <> 'digest' AND (@agent IS NULL OR m.agent = @agent)
                        ORDER BY m.ts DESC LIMIT @limit) AS latest
                    ORDER BY ts, agent, session, seq, chunk
                    """;
                command.Bind("@from", from.ToUnixTimeMilliseconds()).Bind("@until", until.ToUnixTimeMilliseconds()).BindText("@agent", agent).Bind("@limit", limit);
                return await ReadWithVectorsAsync(command, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

    /// <summary>The agents with conversation memories said in [<paramref name="from"/>, <paramref name="until"/>).</summary>
    public Task<IReadOnlyList<string>> GetActiveAgentsAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<string>>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT DISTINCT agent FROM memories WHERE ts >= @from AND ts < @until AND role <> 'digest' ORDER BY agent";
                command.Bind("@from", from.ToUnixTimeMilliseconds()).Bind("@until", until.ToUnixTimeMilliseconds());
                var agents = new List<string>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    agents.Add(reader.GetString(0));
                }

                return agents;
            },
            cancellationToken);

    public Task<IReadOnlyList<SessionSummary>> GetSessionsAsync(string? agent, int limit, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<SessionSummary>>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = """
                    SELECT agent, session, COUNT(*) FILTER (WHERE chunk = 0), MIN(ts), MAX(ts) FROM memories
                    WHERE @agent IS NULL OR agent = @agent
                    GROUP BY agent, session ORDER BY MAX(COALESCE(ts, created_at)) DESC, agent, session LIMIT @limit
                    """;
                command.BindText("@agent", agent).Bind("@limit", limit);
                var sessions = new List<SessionSummary>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    sessions.Add(SessionSummary.Read(reader));
                }

                return sessions;
            },
            cancellationToken);

    /// <summary>Conversation turns per agent per UTC day in [<paramref name="from"/>, <paramref name="until"/>).</summary>
    public Task<IReadOnlyList<(string Agent, DateOnly Day, int Turns)>> CountTurnsPerDayAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<(string, DateOnly, int)>>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = """
                    SELECT agent, ts / 86400000 AS day, COUNT(*) FROM memories
                    WHERE ts >= @from AND ts < @until AND role <> 'digest' AND chunk = 0
                    GROUP BY agent, day ORDER BY agent, day
                    """;
                command.Bind("@from", from.ToUnixTimeMilliseconds()).Bind("@until", until.ToUnixTimeMilliseconds());
                var counts = new List<(string, DateOnly, int)>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    counts.Add((reader.GetString(0), Day(reader.GetInt64(1)), (int)reader.GetInt64(2)));
                }

                return counts;
            },
            cancellationToken);

    /// <summary>
    /// For the data-quality check: memories stored per UTC day since <paramref name="since"/> (by when
    /// they were stored), and of those stored since <paramref name="recent"/>: how many, how many
    /// distinct contents, how many empty.
    /// </summary>
    public Task<(Dictionary<DateOnly, long> PerDay, long Recent, long RecentDistinct, long RecentEmpty)> IngestVolumeAsync(DateTimeOffset since, DateTimeOffset recent, CancellationToken cancellationToken) =>
        RunAsync(
            async connection =>
            {
                var perDay = new Dictionary<DateOnly, long>();
                await using (var days = connection.CreateCommand())
                {
                    days.CommandText = "SELECT created_at / 86400000, count(*) FROM memories WHERE created_at >= @since GROUP BY 1";
                    days.Bind("@since", since.ToUnixTimeMilliseconds());
                    await using var reader = await days.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        perDay[Day(reader.GetInt64(0))] = reader.GetInt64(1);
                    }
                }

                await using var latest = connection.CreateCommand();
                latest.CommandText = "SELECT count(*), count(DISTINCT content_hash), count(*) FILTER (WHERE trim(text) = '') FROM memories WHERE created_at >= @recent";
                latest.Bind("@recent", recent.ToUnixTimeMilliseconds());
                await using var row = await latest.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await row.ReadAsync(cancellationToken).ConfigureAwait(false);
                return (perDay, row.GetInt64(0), row.GetInt64(1), row.GetInt64(2));
            },
            cancellationToken);

    public abstract Task<string?> QuickCheckAsync(CancellationToken cancellationToken);

    public abstract Task<string> CheckIntegrityAsync(CancellationToken cancellationToken);

    public abstract Task<long> RebuildTextIndexAsync(CancellationToken cancellationToken);

    public Task<(long Watermark, long Count)> GetWatermarkAsync(CancellationToken cancellationToken) =>
        RunAsync(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT (SELECT COALESCE(MAX(id), 0) FROM audit_log), (SELECT COUNT(*) FROM memories)";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return (reader.GetInt64(0), reader.GetInt64(1));
            },
            cancellationToken);

    /// <summary>Audit events after a watermark, oldest first: how a saved index catches up.</summary>
    public Task<IReadOnlyList<(long EventId, string Action, long MemoryId)>> GetChangesSinceAsync(long watermark, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<(long, string, long)>>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT id, action, memory_id FROM audit_log WHERE id > @w ORDER BY id";
                command.Bind("@w", watermark);
                var changes = new List<(long, string, long)>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    changes.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
                }

                return changes;
            },
            cancellationToken);

    public Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken) =>
        RunAsync(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"""
                    SELECT (SELECT COUNT(*) FROM memories),
                           (SELECT COUNT(*) FROM (SELECT DISTINCT agent, session FROM memories) AS s),
                           (SELECT COUNT(DISTINCT agent) FROM memories),
                           (SELECT COUNT(DISTINCT source) FROM memories),
                           (SELECT COUNT(*) FROM embeddings),
                           (SELECT COUNT(*) FROM audit_log),
                           (SELECT MIN(ts) FROM memories),
                           (SELECT MAX(ts) FROM memories),
                           {DatabaseSizeSql},
                           (SELECT value FROM store_meta WHERE key = 'embedding_model')
                    """;
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return StoreStats.Read(reader);
            },
            cancellationToken);

    public abstract ValueTask DisposeAsync();

    /// <summary>The filter's conditions on the memories table as <paramref name="alias"/>, each value bound to the command.</summary>
    protected static void AppendFilter(DbCommand command, MemoryFilter filter, StringBuilder sql, string alias)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(sql);
        foreach (var (condition, name, value) in filter.Conditions())
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND {alias}.{condition} @{name}");
            command.Bind("@" + name, value);
        }
    }

    /// <summary>A command in a transaction.</summary>
    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>
    /// A typed parameter whose value is set per row. Created once with its type, so a statement
    /// prepared after a few rows keeps the parameters it was prepared with.
    /// </summary>
    protected static DbParameter Parameter(DbCommand command, string name, DbType type)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private static void SetValues(DbCommand command, NewMemory memory, long now)
    {
        if (command.Parameters.Count == 0)
        {
            foreach (var (name, type) in MemoryParameters)
            {
                Parameter(command, name, type);
            }
        }

        var p = command.Parameters;
        p["@key"].Value = memory.Key;
        p["@agent"].Value = memory.Agent;
        p["@session"].Value = memory.Session;
        p["@entry"].Value = memory.EntryId;
        p["@parent"].Value = (object?)memory.ParentId ?? DBNull.Value;
        p["@chunk"].Value = memory.Chunk;
        p["@seq"].Value = memory.Sequence;
        p["@role"].Value = memory.Role;
        p["@speaker"].Value = (object?)memory.Speaker ?? DBNull.Value;
        p["@tool"].Value = (object?)memory.Tool ?? DBNull.Value;
        p["@untrusted"].Value = memory.Untrusted;
        p["@text"].Value = memory.Text;
        p["@context"].Value = memory.IndexContext;
        p["@ts"].Value = memory.Timestamp is { } ts ? ts.ToUnixTimeMilliseconds() : DBNull.Value;
        p["@source"].Value = memory.Source;
        p["@content"].Value = memory.ContentHash;
        p["@embedding"].Value = memory.EmbeddingHash;
        p["@now"].Value = now;
    }

    private static Memory ReadMemory(DbDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
        reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        reader.GetString(7), reader.GetInt64(8), reader.GetInt32(9), reader.GetBoolean(10),
        reader.IsDBNull(11) ? null : reader.GetString(11));

    private static async Task<IReadOnlyList<Memory>> ReadMemoriesAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var result = new List<Memory>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(ReadMemory(reader));
        }

        return result;
    }

    private static async Task<IReadOnlyList<(Memory Memory, float[] Vector)>> ReadWithVectorsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var result = new List<(Memory, float[])>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add((ReadMemory(reader), VectorMath.FromBytes((byte[])reader.GetValue(12))));
        }

        return result;
    }

    private static async Task<T?> ScalarAsync<T>(DbConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
        where T : class
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Bind(name, value);
        }

        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as T;
    }

    private static DateOnly Day(long dayNumber) => DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)dayNumber);
}
