using static Mnemo.Storage.Schema.Columns;

namespace Mnemo.Storage.Schema;

/// <summary>
/// The store's schema, described once for SQLite and PostgreSQL as an ordered list of steps.
/// Each database records how many steps it has run (SQLite in <c>PRAGMA user_version</c>,
/// PostgreSQL in <c>mnemo_schema</c>) and runs the rest at start. Times are Unix milliseconds and
/// JSON is text on both, so one set of statements serves both. Never edit a shipped step: append one.
/// </summary>
public static class StoreSchema
{
    /// <summary>The steps, oldest first.</summary>
    public static IReadOnlyList<SchemaStep> Steps { get; } =
    [
        new("memories, their full-text index, the embedding cache, cursors and the audit log; the nodes' coordination tables", [
            new CreateTable("store_meta", [Str("key").With("PRIMARY KEY"), Str("value").NotNull()]),

            // A rowid table in SQLite: vectors (1.5 KB) are too large for a WITHOUT ROWID b-tree to look up quickly.
            new CreateTable("embeddings", [Id("id"), Bytes("hash").NotNull().With("UNIQUE"), Str("model").NotNull(), Int("dims").NotNull(), Bytes("vector").NotNull()]),
            new CreateTable("memories", [
                Id("id"), Bytes("memory_key").NotNull().With("UNIQUE"), Str("agent").NotNull(), Str("session").NotNull(), Str("entry_id").NotNull(),
                Str("parent_id"), Int("chunk").NotNull(), Long("seq").NotNull(), Str("role").NotNull(), Str("speaker"), Str("tool"),
                Bool("untrusted").NotNull(), Str("text").NotNull(), Long("ts"), Str("source").NotNull(), Bytes("content_hash").NotNull(),
                Long("embedding_id").NotNull().With("REFERENCES embeddings(id)"), Long("created_at").NotNull()]),

            // PostgreSQL's full-text column, computed from the row: the words (stemmed, weight A), the
            // speaker's name (as written, B) and the date words (C), weighted as SQLite's FTS5 columns are.
            new DialectSql(SqlDialect.Postgres, """
                ALTER TABLE memories ADD COLUMN context text NOT NULL DEFAULT '';
                ALTER TABLE memories ADD COLUMN search tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', text), 'A')
                    || setweight(to_tsvector('simple', coalesce(speaker, '')), 'B')
                    || setweight(to_tsvector('english', context), 'C')) STORED;
                CREATE INDEX ix_memories_search ON memories USING gin(search);
                """),
            new CreateIndex("ix_memories_session", "memories", "agent, session, seq, chunk"),
            new CreateIndex("ix_memories_ts", "memories", "ts"),
            new CreateIndex("ix_memories_embedding", "memories", "embedding_id"),

            // SQLite's full-text index, contentless (the text lives once, in memories; deletes need
            // SQLite >= 3.43), and its vocabulary: how many memories hold each stemmed term, which
            // lets search skip terms found almost everywhere.
            new DialectSql(SqlDialect.Sqlite, """
                CREATE VIRTUAL TABLE memories_fts USING fts5(
                    body, speaker, context,
                    content = '', contentless_delete = 1,
                    tokenize = 'porter unicode61 remove_diacritics 2');
                CREATE VIRTUAL TABLE memories_vocab USING fts5vocab(memories_fts, row);
                """),
            new CreateTable("cursors", [Str("source").With("PRIMARY KEY"), Str("format").NotNull(), Str("cursor").NotNull(), Long("updated_at").NotNull()]),

            // Append-only record of every mutation: who, what, which id, when; never the text. Its ids
            // are the change sequence every vector index catches up from.
            new CreateTable("audit_log", [
                IncreasingId("id"), Long("at").NotNull(), Str("actor").NotNull(),
                Str("action").NotNull().With("CHECK (action IN ('add', 'update', 'forget'))"), Long("memory_id").NotNull(), Bytes("memory_key")]),
            new DialectSql(SqlDialect.Sqlite, """
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                """),
            new DialectSql(SqlDialect.Postgres, """
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
                """),
        ]),
        new("compactions the host made, with the span of entries that left the model's context", [
            new CreateTable("compactions", [
                Id("id"), Str("agent").NotNull(), Str("session").NotNull(), Str("session_key"), Str("entry_id"), Long("seq"),
                Long("at").NotNull(), Long("tokens_before"), Long("tokens_after"), Str("summary"), Str("first_kept_entry_id"),
                Long("from_seq"), Long("to_seq"), Str("details").NotNull(),
                Str("origin").NotNull().With("CHECK (origin IN ('transcript', 'plugin'))"), Long("recorded_at").NotNull()]),
            new CreateIndex("ux_compactions_entry", "compactions", "agent, session, entry_id", Unique: true, Where: "entry_id IS NOT NULL"),
            new CreateIndex("ix_compactions_session", "compactions", "agent, session, at"),
            new CreateIndex("ix_compactions_at", "compactions", "at"),
            new CreateIndex("ix_memories_entry", "memories", "agent, session, entry_id"),
        ]),
        new("the scheduler's jobs, digests, signals, language-model calls and three-pass records", [
            new CreateTable("jobs", [
                Str("name").With("PRIMARY KEY"), Long("next_run"), Long("last_occurrence"), Long("last_started"), Long("last_finished"),
                Long("last_duration"), Str("last_outcome").With(Outcome("last_outcome")), Str("last_detail"),
                Int("failures").NotNull().With("DEFAULT 0"), Str("lease_owner"), Long("lease_until")]),
            new CreateTable("job_runs", [
                Id("id"), Str("job").NotNull(), Long("occurrence"), Int("attempt").NotNull(),
                Str("trigger").NotNull().With("CHECK (trigger IN ('schedule', 'catch-up', 'retry', 'manual'))"),
                Long("started").NotNull(), Long("finished").NotNull(), Str("outcome").NotNull().With(Outcome("outcome")), Str("detail")]),
            new CreateIndex("ix_job_runs_job", "job_runs", "job, started"),
            new CreateTable("digests", [
                Id("id"), Str("kind").NotNull().With("CHECK (kind IN ('hourly', 'daily', 'weekly'))"), Str("agent").NotNull(),
                Long("period_start").NotNull(), Long("period_end").NotNull(), Str("method").NotNull().With("CHECK (method IN ('extractive', 'model'))"),
                Str("text").NotNull(), Str("lines").NotNull(), Int("sources").NotNull(), Long("memory_id"), Long("prompt_run"),
                Long("created_at").NotNull(), Long("delivered_at")]),
            new CreateIndex("ux_digests_period", "digests", "kind, agent, period_start", Unique: true),
            new CreateIndex("ix_digests_created", "digests", "created_at"),
            new CreateTable("signals", [
                Id("id"), Str("kind").NotNull(), Str("key").NotNull().With("UNIQUE"),
                Str("severity").NotNull().With("CHECK (severity IN ('info', 'warning', 'critical'))"), Str("title").NotNull(),
                Str("agents").NotNull(), Str("evidence").NotNull(), Long("due_at"), Long("first_seen").NotNull(), Long("last_seen").NotNull(),
                Int("detections").NotNull(), Long("delivered_at")]),
            new CreateIndex("ix_signals_seen", "signals", "last_seen"),
            new CreateTable("llm_calls", [
                Id("id"), Long("at").NotNull(), Str("purpose").NotNull(), Str("provider").NotNull(), Str("model"),
                Long("input_tokens"), Long("output_tokens"), Real("cost"), Long("latency_ms").NotNull(),
                Str("outcome").NotNull().With(Outcome("outcome")), Str("error")]),
            new CreateIndex("ix_llm_calls_at", "llm_calls", "at"),
            new CreateTable("prompt_runs", [
                Id("id"), Str("purpose").NotNull(), Str("task").NotNull(), Str("sources").NotNull(), Long("created_at").NotNull(),
                Str("outcome").NotNull().With("CHECK (outcome IN ('running', 'succeeded', 'failed'))"), Str("result"), Str("error")]),
            new CreateTable(
                "prompt_passes",
                [
                    Long("run_id").NotNull().With("REFERENCES prompt_runs(id) ON DELETE CASCADE"),
                    Str("pass").NotNull().With("CHECK (pass IN ('draft', 'critique', 'refine'))"), Str("prompt").NotNull(), Str("output").NotNull(),
                    Long("input_tokens"), Long("output_tokens"), Long("latency_ms").NotNull(),
                ],
                Key: "run_id, pass"),
        ]),
        new("voice notes waiting for, or done with, transcription: a durable queue", [
            new CreateTable("voice_jobs", [
                Id("id"), Str("path").NotNull(), Bytes("content").NotNull().With("UNIQUE"), Str("origin").NotNull(), Str("agent"), Str("session"),
                Str("status").NotNull().With("CHECK (status IN ('queued', 'running', 'done', 'failed'))"), Int("attempts").NotNull().With("DEFAULT 0"),
                Long("not_before").NotNull(), Str("error"), Long("created_at").NotNull(), Long("started_at"), Long("finished_at"),
                Long("memory_id"), Long("duration_ms"), Str("language"), Str("engine"), Str("model"), Int("audio_deleted").NotNull().With("DEFAULT 0")]),
            new CreateIndex("ix_voice_jobs_status", "voice_jobs", "status, not_before, id"),

            // The recordings of queued voice notes, so a node that did not receive one can transcribe it.
            new DialectSql(SqlDialect.Postgres, "CREATE TABLE voice_audio (\n    content bytea PRIMARY KEY,\n    data bytea NOT NULL\n);"),
        ]),
        new("the user's ratings of digests, signals, memories and injected context", [
            new CreateTable("feedback", [
                Id("id"), Str("target_kind").NotNull().With("CHECK (target_kind IN ('digest', 'signal', 'memory', 'context'))"),
                Long("target_id").NotNull(), Int("rating").NotNull().With("CHECK (rating IN (-1, 1))"), Str("comment"),
                Str("who").NotNull(), Str("channel").NotNull(), Long("at").NotNull()]),
            new CreateIndex("ux_feedback_vote", "feedback", "target_kind, target_id, who", Unique: true),
            new CreateIndex("ix_feedback_at", "feedback", "at"),
        ]),
        new("what was brought back after each compaction, told to the user so they can rate it; memories by when they were stored", [
            new CreateTable("context_notices", [
                Id("id"), Long("compaction_id").NotNull().With("UNIQUE"), Str("agent").NotNull(), Str("session").NotNull(),
                Str("memory_ids").NotNull(), Str("text").NotNull(), Long("created_at").NotNull(), Long("delivered_at")]),

            // Health's data-quality check reads the last two weeks of ingest by when it was stored.
            new CreateIndex("ix_memories_created", "memories", "created_at"),
        ]),
        new("which node holds a running voice job and until when", [
            new AddColumn("voice_jobs", Str("node")),
            new AddColumn("voice_jobs", Long("lease_until")),
        ]),
        new("memories the user pinned, always brought back into their agent's context", [
            new CreateTable("pins", [Long("memory_id").With("PRIMARY KEY"), Str("agent").NotNull(), Long("pinned_at").NotNull(), Str("who").NotNull()]),
            new CreateIndex("ix_pins_agent", "pins", "agent"),
        ]),
        new("the session ids each of the host's session keys has had (a new id under a known key is a reset: /new, /reset, daily or idle rotation), and resets that keep the session id", [
            new CreateTable("session_keys", [Str("agent").NotNull(), Str("session_key").NotNull(), Str("session").NotNull(), Long("first_seen").NotNull()], Key: "agent, session_key, session"),

            // Resets in place (OpenClaw's /new keeps the session id and appends a reset entry):
            // everything the session held before one has left the context too.
            new CreateTable("session_resets", [Str("agent").NotNull(), Str("session").NotNull(), Long("at").NotNull(), Long("seq"), Str("reason"), Str("origin").NotNull()], Key: "agent, session, at"),
        ]),
        new("who sent each voice note OpenClaw received (owner 1, someone else 0, not said NULL), by the audio file's name in media/inbound: a stranger's voice note is external content", [
            new CreateTable("voice_senders", [
                Str("file_name").With("PRIMARY KEY"), Str("agent").NotNull(), Str("session").NotNull(), Str("entry_id").NotNull(),
                Long("owner"), Long("seen_at").NotNull()]),
        ]),
    ];

    /// <summary>The SQL of the step that brings a database from <paramref name="version"/> steps to one more.</summary>
    public static string Render(SqlDialect dialect, int version) => Steps[version].Render(dialect);

    private static string Outcome(string column) => $"CHECK ({column} IN ('succeeded', 'failed'))";
}

/// <summary>Short names for the column kinds, so a table reads as a list of its columns.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The kinds are the SQL types they stand for.")]
public static class Columns
{
    public static Column Id(string name) => new(name, ColumnKind.Id);

    public static Column IncreasingId(string name) => new(name, ColumnKind.IncreasingId);

    public static Column Int(string name) => new(name, ColumnKind.Int);

    public static Column Long(string name) => new(name, ColumnKind.Long);

    public static Column Str(string name) => new(name, ColumnKind.Text);

    public static Column Bytes(string name) => new(name, ColumnKind.Bytes);

    public static Column Real(string name) => new(name, ColumnKind.Real);

    public static Column Bool(string name) => new(name, ColumnKind.Bool);
}
