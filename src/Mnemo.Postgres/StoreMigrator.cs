using Microsoft.Data.Sqlite;
using Mnemo.Ingest;
using Mnemo.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Mnemo.Postgres;

/// <summary>Rows copied per table, and whether source and target now hold the same counts.</summary>
public sealed record MigrationReport(long Embeddings, long Memories, long AuditEvents, long Cursors, long Records, IReadOnlyList<string> Mismatches)
{
    public bool Verified => Mismatches.Count == 0;
}

/// <summary>
/// Copies an embedded store's memories into PostgreSQL (<c>mnemo migrate --to postgres</c>): the
/// embeddings, memories, audit log and cursors, keeping their ids (the vector index, digests and
/// signals refer to memory ids), then the records beside them (compactions, job state and history,
/// digests, signals, feedback, context notices, model calls, three-pass records, the voice queue
/// with the recordings still waiting). Each batch commits on its own and every table resumes after the
/// highest id already copied, so an interrupted migration is run again to finish. The target must
/// be empty or a migration from this same source. Counts are compared at the end.
/// </summary>
public static class StoreMigrator
{
    private const int Batch = 2000;

    public static async Task<MigrationReport> CopyAsync(SqliteMemoryStore source, PostgresMemoryStore target, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        await using var from = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var to = await target.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ClaimTargetAsync(from, to, source.DatabasePath, cancellationToken).ConfigureAwait(false);

        var embeddings = await CopyTableAsync(
            from, to, "embeddings", "SELECT id, hash, model, dims, vector FROM embeddings WHERE id > $after ORDER BY id LIMIT $limit",
            "INSERT INTO embeddings(id, hash, model, dims, vector) SELECT * FROM unnest(@c0, @c1, @c2, @c3, @c4) ON CONFLICT DO NOTHING",
            [NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Bytea],
            progress, cancellationToken).ConfigureAwait(false);
        var memories = await CopyTableAsync(
            from, to, "memories",
            "SELECT id, memory_key, agent, session, entry_id, parent_id, chunk, seq, role, speaker, tool, untrusted != 0, text, ts, source, content_hash, embedding_id, created_at FROM memories WHERE id > $after ORDER BY id LIMIT $limit",
            MemoriesInsert,
            [NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Boolean, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bytea, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint],
            progress, cancellationToken).ConfigureAwait(false);
        var audit = await CopyTableAsync(
            from, to, "audit_log", "SELECT id, at, actor, action, memory_id, memory_key FROM audit_log WHERE id > $after ORDER BY id LIMIT $limit",
            "INSERT INTO audit_log(id, at, actor, action, memory_id, memory_key) SELECT * FROM unnest(@c0, @c1, @c2, @c3, @c4, @c5) ON CONFLICT DO NOTHING",
            [NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Bytea],
            progress, cancellationToken).ConfigureAwait(false);
        var cursors = await CopyCursorsAsync(from, to, cancellationToken).ConfigureAwait(false);
        long records = 0;
        foreach (var table in RecordTables)
        {
            records += await CopyRecordsAsync(from, to, table, progress, cancellationToken).ConfigureAwait(false);
        }

        await CopyWaitingAudioAsync(from, to, cancellationToken).ConfigureAwait(false);

        // New rows written on PostgreSQL continue after the copied ids.
        await ExecuteAsync(
            to,
            """
            SELECT setval(pg_get_serial_sequence('embeddings', 'id'), GREATEST((SELECT MAX(id) FROM embeddings), 1));
            SELECT setval(pg_get_serial_sequence('memories', 'id'), GREATEST((SELECT MAX(id) FROM memories), 1));
            SELECT setval(pg_get_serial_sequence('audit_log', 'id'), GREATEST((SELECT MAX(id) FROM audit_log), 1));
            """ + string.Concat(RecordTables.Where(t => t.Keyed).Select(t => $"SELECT setval(pg_get_serial_sequence('{t.Name}', 'id'), GREATEST((SELECT MAX(id) FROM {t.Name}), 1));\n")),
            cancellationToken).ConfigureAwait(false);

        var mismatches = new List<string>();
        foreach (var table in MemoryTables.Concat(RecordTables.Select(t => t.Name)))
        {
            var (inSource, inTarget) = (await CountAsync(from, table, cancellationToken).ConfigureAwait(false), await CountAsync(to, table, cancellationToken).ConfigureAwait(false));
            if (inSource != inTarget)
            {
                mismatches.Add(FormattableString.Invariant($"{table}: {inSource} in {source.DatabasePath}, {inTarget} in {target.Location}"));
            }
        }

        if (mismatches.Count == 0)
        {
            await ExecuteAsync(to, "INSERT INTO store_meta(key, value) VALUES ('migration', 'complete') ON CONFLICT (key) DO UPDATE SET value = 'complete'", cancellationToken).ConfigureAwait(false);
        }

        return new MigrationReport(embeddings, memories, audit, cursors, records, mismatches);
    }

    /// <summary>Refuses a target that holds memories from elsewhere; records this source on a new one.</summary>
    private static async Task ClaimTargetAsync(SqliteConnection from, NpgsqlConnection to, string sourcePath, CancellationToken cancellationToken)
    {
        await using var read = new SqliteCommand("SELECT value FROM store_meta WHERE key = 'embedding_model'", from);
        var model = (string?)await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await to.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var claim = new NpgsqlCommand(
            """
            SELECT (SELECT value FROM store_meta WHERE key = 'migrated_from'),
                   (SELECT value FROM store_meta WHERE key = 'embedding_model'),
                   EXISTS (SELECT 1 FROM memories)
            """,
            to,
            transaction);
        string? migratedFrom, targetModel;
        bool hasMemories;
        await using (var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (migratedFrom, targetModel, hasMemories) = (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2));
        }

        if (migratedFrom is not null && migratedFrom != sourcePath)
        {
            throw new InvalidOperationException($"the PostgreSQL store was migrated from {migratedFrom}, not {sourcePath}; migrate into an empty database");
        }

        if (migratedFrom is null && hasMemories)
        {
            throw new InvalidOperationException("the PostgreSQL store already holds memories; migrate into an empty database (its ids would clash)");
        }

        if (model is not null && targetModel is not null && model != targetModel)
        {
            throw new InvalidOperationException($"the PostgreSQL store holds vectors from '{targetModel}', the embedded one from '{model}'");
        }

        await using var record = new NpgsqlCommand(
            """
            INSERT INTO store_meta(key, value) VALUES ('migrated_from', @source) ON CONFLICT (key) DO NOTHING;
            INSERT INTO store_meta(key, value) SELECT 'embedding_model', @model WHERE @model::text IS NOT NULL ON CONFLICT (key) DO NOTHING;
            """,
            to,
            transaction);
        record.Parameters.AddWithValue("source", sourcePath);
        record.Parameters.Add(new NpgsqlParameter("model", NpgsqlDbType.Text) { Value = (object?)model ?? DBNull.Value });
        await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies rows with ids above the target's highest, a batch per transaction; returns the rows it inserted.</summary>
    /// <param name="keyed">False for a table without an id: it is read in pages by offset and every row is offered (ON CONFLICT skips those copied).</param>
    private static async Task<long> CopyTableAsync(SqliteConnection from, NpgsqlConnection to, string table, string select, string insert, NpgsqlDbType[] types, IProgress<string>? progress, CancellationToken cancellationToken, bool keyed = true)
    {
        long copied = 0;
        await using var max = new NpgsqlCommand($"SELECT COALESCE(MAX(id), 0) FROM {table}", to);
        var after = keyed ? (long)(await max.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! : 0;
        var isMemories = table == "memories";
        while (true)
        {
            var columns = types.Select(_ => new List<object?>()).ToArray();
            await using (var read = new SqliteCommand(select, from))
            {
                read.Parameters.AddWithValue("$after", after);
                read.Parameters.AddWithValue("$limit", Batch);
                await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    for (var i = 0; i < types.Length; i++)
                    {
                        columns[i].Add(reader.IsDBNull(i) ? null : Convert(reader.GetValue(i), types[i]));
                    }
                }
            }

            var rows = columns[0].Count;
            if (rows == 0)
            {
                return copied;
            }

            await using (var transaction = await to.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                await using var write = new NpgsqlCommand(insert, to, transaction);
                if (isMemories)
                {
                    // The date words of the full-text index are not stored in SQLite (FTS5 keeps only
                    // its index): they are rebuilt from each memory's time, as ingest makes them.
                    var contexts = columns[13].Select(ts => NewMemory.DateWords(ts is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null)).ToArray();
                    write.Parameters.Add(new NpgsqlParameter("c18", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = contexts });
                }

                for (var i = 0; i < types.Length; i++)
                {
                    write.Parameters.Add(new NpgsqlParameter(FormattableString.Invariant($"c{i}"), NpgsqlDbType.Array | types[i]) { Value = ToArray(columns[i], types[i]) });
                }

                // Rows the target already holds (a table without ids is offered whole again) are
                // skipped by ON CONFLICT and not counted: the report says what this run copied.
                copied += await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            after = keyed ? (long)columns[0][^1]! : after + rows;
            progress?.Report(FormattableString.Invariant($"{table}: {copied} copied (up to id {after})"));
        }
    }

    private static readonly string[] MemoryTables = ["embeddings", "memories", "audit_log", "cursors"];

    /// <summary>The records beside the memories; keyed ones resume after the highest id copied, the others (small) are copied whole.</summary>
    private static readonly (string Name, bool Keyed)[] RecordTables =
    [
        ("compactions", true), ("jobs", false), ("job_runs", true), ("digests", true), ("signals", true), ("llm_calls", true),
        ("prompt_runs", true), ("prompt_passes", false), ("voice_jobs", true), ("feedback", true), ("context_notices", true), ("pins", false),
        ("session_keys", false), ("session_resets", false), ("voice_senders", false),
    ];

    /// <summary>Copies one record table, its columns and their types read from the target's schema (the same names in both).</summary>
    private static async Task<long> CopyRecordsAsync(SqliteConnection from, NpgsqlConnection to, (string Name, bool Keyed) table, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var columns = new List<(string Name, NpgsqlDbType Type)>();
        await using (var schema = new NpgsqlCommand("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table ORDER BY ordinal_position", to))
        {
            schema.Parameters.AddWithValue("table", table.Name);
            await using var reader = await schema.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add((reader.GetString(0), reader.GetString(1) switch
                {
                    "bigint" => NpgsqlDbType.Bigint,
                    "integer" => NpgsqlDbType.Integer,
                    "bytea" => NpgsqlDbType.Bytea,
                    "double precision" => NpgsqlDbType.Double,
                    _ => NpgsqlDbType.Text,
                }));
            }
        }

        var names = string.Join(", ", columns.Select(c => c.Name));
        var parameters = string.Join(", ", columns.Select((_, i) => FormattableString.Invariant($"@c{i}")));
        var insert = $"INSERT INTO {table.Name}({names}) SELECT * FROM unnest({parameters}) ON CONFLICT DO NOTHING";
        var select = table.Keyed
            ? $"SELECT {names} FROM {table.Name} WHERE id > $after ORDER BY id LIMIT $limit"
            : $"SELECT {names} FROM {table.Name} ORDER BY 1, 2 LIMIT $limit OFFSET $after";
        return await CopyTableAsync(from, to, table.Name, select, insert, [.. columns.Select(c => c.Type)], progress, cancellationToken, table.Keyed).ConfigureAwait(false);
    }

    /// <summary>The recordings of voice notes not transcribed yet go into the store, so any node can take them.</summary>
    private static async Task CopyWaitingAudioAsync(SqliteConnection from, NpgsqlConnection to, CancellationToken cancellationToken)
    {
        await using var read = new SqliteCommand("SELECT content, path FROM voice_jobs WHERE status IN ('queued', 'running')", from);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var path = reader.GetString(1);
            if (!File.Exists(path))
            {
                continue;
            }

            await using var write = new NpgsqlCommand("INSERT INTO voice_audio(content, data) VALUES (@content, @data) ON CONFLICT (content) DO NOTHING", to);
            write.Parameters.AddWithValue("content", (byte[])reader.GetValue(0));
            write.Parameters.AddWithValue("data", await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
            await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private const string MemoriesInsert = """
        INSERT INTO memories(id, memory_key, agent, session, entry_id, parent_id, chunk, seq, role, speaker, tool, untrusted, text, ts, source, content_hash, embedding_id, created_at, context)
        SELECT * FROM unnest(@c0, @c1, @c2, @c3, @c4, @c5, @c6, @c7, @c8, @c9, @c10, @c11, @c12, @c13, @c14, @c15, @c16, @c17, @c18)
        ON CONFLICT DO NOTHING
        """;

    private static object Convert(object value, NpgsqlDbType type) => type switch
    {
        NpgsqlDbType.Integer => System.Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture),
        NpgsqlDbType.Bigint => System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        NpgsqlDbType.Boolean => System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) != 0,
        NpgsqlDbType.Double => System.Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
        _ => value,
    };

    private static Array ToArray(List<object?> values, NpgsqlDbType type) => type switch
    {
        NpgsqlDbType.Integer => values.Select(v => (int?)v).ToArray(),
        NpgsqlDbType.Bigint => values.Select(v => (long?)v).ToArray(),
        NpgsqlDbType.Boolean => values.Select(v => (bool)v!).ToArray(),
        NpgsqlDbType.Bytea => values.Select(v => (byte[]?)v).ToArray(),
        NpgsqlDbType.Double => values.Select(v => (double?)v).ToArray(),
        _ => values.Select(v => (string?)v).ToArray(),
    };

    private static async Task<long> CopyCursorsAsync(SqliteConnection from, NpgsqlConnection to, CancellationToken cancellationToken)
    {
        var rows = new List<(string Source, string Format, string Cursor, long Updated)>();
        await using (var read = new SqliteCommand("SELECT source, format, cursor, updated_at FROM cursors", from))
        {
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
            }
        }

        await using var write = new NpgsqlCommand(
            """
            INSERT INTO cursors(source, format, cursor, updated_at) SELECT * FROM unnest(@s, @f, @c, @u)
            ON CONFLICT (source) DO UPDATE SET format = excluded.format, cursor = excluded.cursor, updated_at = excluded.updated_at
            """,
            to);
        write.Parameters.AddWithValue("s", rows.Select(r => r.Source).ToArray());
        write.Parameters.AddWithValue("f", rows.Select(r => r.Format).ToArray());
        write.Parameters.AddWithValue("c", rows.Select(r => r.Cursor).ToArray());
        write.Parameters.AddWithValue("u", rows.Select(r => r.Updated).ToArray());
        await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return rows.Count;
    }

    private static async Task<long> CountAsync(System.Data.Common.DbConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return System.Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
