using Npgsql;

namespace Mnemo.Postgres;

/// <summary>
/// The shared store's schema as ordered migrations; <c>mnemo_schema</c> records how many ran.
/// Nodes starting together migrate one at a time (a transaction-scoped advisory lock). Never
/// edit a shipped migration: append one.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Advisory lock keys: the schema migration, and the single writer of audit events.</summary>
    internal const long MigrationLock = 0x4D6E656D6F_01;
    internal const long WriterLock = 0x4D6E656D6F_02;

    /// <summary>The channel a committed change is announced on; the payload is the latest audit id.</summary>
    internal const string ChangeChannel = "mnemo_changes";

    /// <summary>The channel new queued work is announced on.</summary>
    internal const string WorkChannel = "mnemo_work";

    public static readonly IReadOnlyList<string> All =
    [
        // 1: memories with their vectors and full-text vector, cursors, the audit log; the
        // coordination tables of the nodes (scheduled occurrences, the shared work queue).
        """
        CREATE TABLE store_meta (
            key   text PRIMARY KEY,
            value text NOT NULL
        );

        CREATE TABLE embeddings (
            id     bigserial PRIMARY KEY,
            hash   bytea NOT NULL UNIQUE,
            model  text NOT NULL,
            dims   integer NOT NULL,
            vector bytea NOT NULL
        );

        CREATE TABLE memories (
            id           bigserial PRIMARY KEY,
            memory_key   bytea NOT NULL UNIQUE,
            agent        text NOT NULL,
            session      text NOT NULL,
            entry_id     text NOT NULL,
            parent_id    text,
            chunk        integer NOT NULL,
            seq          bigint NOT NULL,
            role         text NOT NULL,
            speaker      text,
            tool         text,
            untrusted    boolean NOT NULL,
            text         text NOT NULL,
            context      text NOT NULL DEFAULT '',
            ts           bigint,
            source       text NOT NULL,
            content_hash bytea NOT NULL,
            embedding_id bigint NOT NULL REFERENCES embeddings(id),
            created_at   bigint NOT NULL,
            -- The words (stemmed, weight A), the speaker's name (as written, B), the date words (C):
            -- the same three columns, weighted the same way, as the embedded FTS5 index.
            search       tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', text), 'A')
                || setweight(to_tsvector('simple', coalesce(speaker, '')), 'B')
                || setweight(to_tsvector('english', context), 'C')) STORED
        );
        CREATE INDEX ix_memories_session ON memories(agent, session, seq, chunk);
        CREATE INDEX ix_memories_entry ON memories(agent, session, entry_id);
        CREATE INDEX ix_memories_ts ON memories(ts);
        CREATE INDEX ix_memories_created ON memories(created_at);
        CREATE INDEX ix_memories_embedding ON memories(embedding_id);
        CREATE INDEX ix_memories_search ON memories USING gin(search);

        CREATE TABLE cursors (
            source     text PRIMARY KEY,
            format     text NOT NULL,
            cursor     text NOT NULL,
            updated_at bigint NOT NULL
        );

        -- Append-only: who did what to which memory, when; never the text. Its ids are the change
        -- sequence every node's vector index catches up from.
        CREATE TABLE audit_log (
            id         bigserial PRIMARY KEY,
            at         bigint NOT NULL,
            actor      text NOT NULL,
            action     text NOT NULL CHECK (action IN ('add', 'update', 'forget')),
            memory_id  bigint NOT NULL,
            memory_key bytea
        );
        CREATE FUNCTION mnemo_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION mnemo_audit_append_only();

        -- One row per scheduled occurrence of a job: the node that ran it, and how it ended.
        CREATE TABLE job_occurrences (
            job         text NOT NULL,
            occurrence  bigint NOT NULL,
            node        text NOT NULL,
            status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
            claims      integer NOT NULL DEFAULT 1,
            started_at  bigint NOT NULL,
            finished_at bigint,
            PRIMARY KEY (job, occurrence)
        );

        -- Work any node may do (embedding, transcription, ...): claimed with FOR UPDATE SKIP LOCKED
        -- under a lease; a lease that runs out (its node died) makes the item claimable again.
        CREATE TABLE work_items (
            id          bigserial PRIMARY KEY,
            kind        text NOT NULL,
            payload     text NOT NULL,
            status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
            attempts    integer NOT NULL DEFAULT 0,
            lease_owner text,
            lease_until timestamptz,
            enqueued_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz,
            finished_by text,
            error       text
        );
        CREATE INDEX ix_work_items_open ON work_items(id) WHERE status IN ('queued', 'running');

        -- Every time a node began an item: shows which node did what, and that a dead node's item
        -- was begun again elsewhere.
        CREATE TABLE work_attempts (
            item_id    bigint NOT NULL REFERENCES work_items(id) ON DELETE CASCADE,
            node       text NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now()
        );
        """,
    ];

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var setup = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key); CREATE TABLE IF NOT EXISTS mnemo_schema (version integer NOT NULL); ", connection, transaction))
        {
            setup.Parameters.AddWithValue("key", MigrationLock);
            await setup.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM mnemo_schema", connection, transaction);
        var version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        if (version > All.Count)
        {
            throw new InvalidOperationException($"the PostgreSQL store has schema version {version}, newer than this Mnemo ({All.Count}); upgrade Mnemo on this node.");
        }

        for (var i = version; i < All.Count; i++)
        {
            await using var migrate = new NpgsqlCommand(All[i] + FormattableString.Invariant($"\nINSERT INTO mnemo_schema(version) VALUES ({i + 1});"), connection, transaction);
            await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
