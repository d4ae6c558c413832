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
        // 2: what the nodes derive and decide, shared like the memories: compactions, the scheduler's
        // job state and history, digests, signals, model calls, three-pass records, the voice queue
        // (with the recordings, so any node can transcribe), feedback and context notices. Times
        // are Unix milliseconds and JSON is text, as in the embedded store, so one set of
        // statements serves both.
        """
        CREATE TABLE compactions (
            id                  bigserial PRIMARY KEY,
            agent               text NOT NULL,
            session             text NOT NULL,
            session_key         text,
            entry_id            text,
            seq                 bigint,
            at                  bigint NOT NULL,
            tokens_before       bigint,
            tokens_after        bigint,
            summary             text,
            first_kept_entry_id text,
            from_seq            bigint,
            to_seq              bigint,
            details             text NOT NULL,
            origin              text NOT NULL CHECK (origin IN ('transcript', 'plugin')),
            recorded_at         bigint NOT NULL
        );
        CREATE UNIQUE INDEX ux_compactions_entry ON compactions(agent, session, entry_id) WHERE entry_id IS NOT NULL;
        CREATE INDEX ix_compactions_session ON compactions(agent, session, at);
        CREATE INDEX ix_compactions_at ON compactions(at);

        CREATE TABLE jobs (
            name            text PRIMARY KEY,
            next_run        bigint,
            last_occurrence bigint,
            last_started    bigint,
            last_finished   bigint,
            last_duration   bigint,
            last_outcome    text CHECK (last_outcome IN ('succeeded', 'failed')),
            last_detail     text,
            failures        integer NOT NULL DEFAULT 0,
            lease_owner     text,
            lease_until     bigint
        );

        CREATE TABLE job_runs (
            id          bigserial PRIMARY KEY,
            job         text NOT NULL,
            occurrence  bigint,
            attempt     integer NOT NULL,
            trigger     text NOT NULL CHECK (trigger IN ('schedule', 'catch-up', 'retry', 'manual')),
            started     bigint NOT NULL,
            finished    bigint NOT NULL,
            outcome     text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
            detail      text
        );
        CREATE INDEX ix_job_runs_job ON job_runs(job, started);

        CREATE TABLE digests (
            id           bigserial PRIMARY KEY,
            kind         text NOT NULL CHECK (kind IN ('hourly', 'daily', 'weekly')),
            agent        text NOT NULL,
            period_start bigint NOT NULL,
            period_end   bigint NOT NULL,
            method       text NOT NULL CHECK (method IN ('extractive', 'model')),
            text         text NOT NULL,
            lines        text NOT NULL,
            sources      integer NOT NULL,
            memory_id    bigint,
            prompt_run   bigint,
            created_at   bigint NOT NULL,
            delivered_at bigint
        );
        CREATE UNIQUE INDEX ux_digests_period ON digests(kind, agent, period_start);
        CREATE INDEX ix_digests_created ON digests(created_at);

        CREATE TABLE signals (
            id           bigserial PRIMARY KEY,
            kind         text NOT NULL,
            key          text NOT NULL UNIQUE,
            severity     text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
            title        text NOT NULL,
            agents       text NOT NULL,
            evidence     text NOT NULL,
            due_at       bigint,
            first_seen   bigint NOT NULL,
            last_seen    bigint NOT NULL,
            detections   integer NOT NULL,
            delivered_at bigint
        );
        CREATE INDEX ix_signals_seen ON signals(last_seen);

        CREATE TABLE llm_calls (
            id            bigserial PRIMARY KEY,
            at            bigint NOT NULL,
            purpose       text NOT NULL,
            provider      text NOT NULL,
            model         text,
            input_tokens  bigint,
            output_tokens bigint,
            cost          double precision,
            latency_ms    bigint NOT NULL,
            outcome       text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
            error         text
        );
        CREATE INDEX ix_llm_calls_at ON llm_calls(at);

        CREATE TABLE prompt_runs (
            id         bigserial PRIMARY KEY,
            purpose    text NOT NULL,
            task       text NOT NULL,
            sources    text NOT NULL,
            created_at bigint NOT NULL,
            outcome    text NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed')),
            result     text,
            error      text
        );

        CREATE TABLE prompt_passes (
            run_id        bigint NOT NULL REFERENCES prompt_runs(id) ON DELETE CASCADE,
            pass          text NOT NULL CHECK (pass IN ('draft', 'critique', 'refine')),
            prompt        text NOT NULL,
            output        text NOT NULL,
            input_tokens  bigint,
            output_tokens bigint,
            latency_ms    bigint NOT NULL,
            PRIMARY KEY (run_id, pass)
        );

        CREATE TABLE voice_jobs (
            id            bigserial PRIMARY KEY,
            path          text NOT NULL,
            content       bytea NOT NULL UNIQUE,
            origin        text NOT NULL,
            agent         text,
            session       text,
            status        text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
            attempts      integer NOT NULL DEFAULT 0,
            not_before    bigint NOT NULL,
            error         text,
            created_at    bigint NOT NULL,
            started_at    bigint,
            finished_at   bigint,
            memory_id     bigint,
            duration_ms   bigint,
            language      text,
            engine        text,
            model         text,
            audio_deleted integer NOT NULL DEFAULT 0,
            node          text,
            lease_until   bigint
        );
        CREATE INDEX ix_voice_jobs_status ON voice_jobs(status, not_before, id);

        -- The recordings of queued voice notes, so a node that did not receive one can transcribe it.
        CREATE TABLE voice_audio (
            content bytea PRIMARY KEY,
            data    bytea NOT NULL
        );

        CREATE TABLE feedback (
            id          bigserial PRIMARY KEY,
            target_kind text NOT NULL CHECK (target_kind IN ('digest', 'signal', 'memory', 'context')),
            target_id   bigint NOT NULL,
            rating      integer NOT NULL CHECK (rating IN (-1, 1)),
            comment     text,
            who         text NOT NULL,
            channel     text NOT NULL,
            at          bigint NOT NULL
        );
        CREATE UNIQUE INDEX ux_feedback_vote ON feedback(target_kind, target_id, who);
        CREATE INDEX ix_feedback_at ON feedback(at);

        CREATE TABLE context_notices (
            id            bigserial PRIMARY KEY,
            compaction_id bigint NOT NULL UNIQUE,
            agent         text NOT NULL,
            session       text NOT NULL,
            memory_ids    text NOT NULL,
            text          text NOT NULL,
            created_at    bigint NOT NULL,
            delivered_at  bigint
        );
        """,
        // 3: memories the user pinned, always brought back into their agent's context.
        """
        CREATE TABLE pins (
            memory_id bigint PRIMARY KEY,
            agent     text NOT NULL,
            pinned_at bigint NOT NULL,
            who       text NOT NULL
        );
        CREATE INDEX ix_pins_agent ON pins(agent);
        """,
        // 4: the session ids each of the host's session keys has had (a new one is a reset), and resets in place.
        """
        CREATE TABLE session_keys (
            agent       text NOT NULL,
            session_key text NOT NULL,
            session     text NOT NULL,
            first_seen  bigint NOT NULL,
            PRIMARY KEY (agent, session_key, session)
        );
        CREATE TABLE session_resets (
            agent   text NOT NULL,
            session text NOT NULL,
            at      bigint NOT NULL,
            seq     bigint,
            reason  text,
            origin  text NOT NULL,
            PRIMARY KEY (agent, session, at)
        );
        """,
        // 5: who sent each voice note OpenClaw received (owner 1, someone else 0, not said NULL).
        """
        CREATE TABLE voice_senders (
            file_name text PRIMARY KEY,
            agent     text NOT NULL,
            session   text NOT NULL,
            entry_id  text NOT NULL,
            owner     bigint,
            seen_at   bigint NOT NULL
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
