namespace Mnemo.Storage;

/// <summary>
/// The store's schema, as an ordered list of migrations. <c>PRAGMA user_version</c> records how
/// many have been applied; each runs in its own transaction. Never edit a shipped migration:
/// append a new one.
/// </summary>
internal static class Migrations
{
    public static readonly IReadOnlyList<string> All =
    [
        // 1: memories, their full-text index, the embedding cache, cursors and the audit log.
        """
        CREATE TABLE store_meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT;

        -- A rowid table: vectors (1.5 KB) are too large for a WITHOUT ROWID b-tree to look up quickly.
        CREATE TABLE embeddings (
            id     INTEGER PRIMARY KEY,
            hash   BLOB NOT NULL UNIQUE,
            model  TEXT NOT NULL,
            dims   INTEGER NOT NULL,
            vector BLOB NOT NULL
        ) STRICT;

        CREATE TABLE memories (
            id             INTEGER PRIMARY KEY,
            memory_key     BLOB NOT NULL UNIQUE,
            agent          TEXT NOT NULL,
            session        TEXT NOT NULL,
            entry_id       TEXT NOT NULL,
            parent_id      TEXT,
            chunk          INTEGER NOT NULL,
            seq            INTEGER NOT NULL,
            role           TEXT NOT NULL,
            speaker        TEXT,
            tool           TEXT,
            untrusted      INTEGER NOT NULL,
            text           TEXT NOT NULL,
            ts             INTEGER,
            source         TEXT NOT NULL,
            content_hash   BLOB NOT NULL,
            embedding_id   INTEGER NOT NULL REFERENCES embeddings(id),
            created_at     INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX ix_memories_session ON memories(agent, session, seq, chunk);
        CREATE INDEX ix_memories_ts ON memories(ts);
        CREATE INDEX ix_memories_embedding ON memories(embedding_id);

        -- Contentless: the text lives once, in memories; deletes are allowed (SQLite >= 3.43).
        CREATE VIRTUAL TABLE memories_fts USING fts5(
            body, speaker, context,
            content = '', contentless_delete = 1,
            tokenize = 'porter unicode61 remove_diacritics 2');

        -- How many memories hold each (stemmed) term: lets search skip terms found almost everywhere.
        CREATE VIRTUAL TABLE memories_vocab USING fts5vocab(memories_fts, row);

        CREATE TABLE cursors (
            source     TEXT PRIMARY KEY,
            format     TEXT NOT NULL,
            cursor     TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        ) STRICT;

        -- Append-only record of every mutation: who, what, which id, when. Never the text.
        CREATE TABLE audit_log (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            at         INTEGER NOT NULL,
            actor      TEXT NOT NULL,
            action     TEXT NOT NULL CHECK (action IN ('add', 'update', 'forget')),
            memory_id  INTEGER NOT NULL,
            memory_key BLOB
        ) STRICT;
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        """,

        // 2: compactions the host made, with the span of entries that left the model's context.
        """
        CREATE TABLE compactions (
            id                  INTEGER PRIMARY KEY,
            agent               TEXT NOT NULL,
            session             TEXT NOT NULL,
            session_key         TEXT,
            entry_id            TEXT,
            seq                 INTEGER,
            at                  INTEGER NOT NULL,
            tokens_before       INTEGER,
            tokens_after        INTEGER,
            summary             TEXT,
            first_kept_entry_id TEXT,
            from_seq            INTEGER,
            to_seq              INTEGER,
            details             TEXT NOT NULL,
            origin              TEXT NOT NULL CHECK (origin IN ('transcript', 'plugin')),
            recorded_at         INTEGER NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX ux_compactions_entry ON compactions(agent, session, entry_id) WHERE entry_id IS NOT NULL;
        CREATE INDEX ix_compactions_session ON compactions(agent, session, at);
        CREATE INDEX ix_compactions_at ON compactions(at);
        CREATE INDEX ix_memories_entry ON memories(agent, session, entry_id);
        """,
        // 3: the scheduler's jobs, digests, signals, language-model calls and three-pass records.
        """
        CREATE TABLE jobs (
            name            TEXT PRIMARY KEY,
            next_run        INTEGER,
            last_occurrence INTEGER,
            last_started    INTEGER,
            last_finished   INTEGER,
            last_duration   INTEGER,
            last_outcome    TEXT CHECK (last_outcome IN ('succeeded', 'failed')),
            last_detail     TEXT,
            failures        INTEGER NOT NULL DEFAULT 0,
            lease_owner     TEXT,
            lease_until     INTEGER
        ) STRICT;

        CREATE TABLE job_runs (
            id          INTEGER PRIMARY KEY,
            job         TEXT NOT NULL,
            occurrence  INTEGER,
            attempt     INTEGER NOT NULL,
            trigger     TEXT NOT NULL CHECK (trigger IN ('schedule', 'catch-up', 'retry', 'manual')),
            started     INTEGER NOT NULL,
            finished    INTEGER NOT NULL,
            outcome     TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
            detail      TEXT
        ) STRICT;
        CREATE INDEX ix_job_runs_job ON job_runs(job, started);

        CREATE TABLE digests (
            id           INTEGER PRIMARY KEY,
            kind         TEXT NOT NULL CHECK (kind IN ('hourly', 'daily', 'weekly')),
            agent        TEXT NOT NULL,
            period_start INTEGER NOT NULL,
            period_end   INTEGER NOT NULL,
            method       TEXT NOT NULL CHECK (method IN ('extractive', 'model')),
            text         TEXT NOT NULL,
            lines        TEXT NOT NULL,
            sources      INTEGER NOT NULL,
            memory_id    INTEGER,
            prompt_run   INTEGER,
            created_at   INTEGER NOT NULL,
            delivered_at INTEGER
        ) STRICT;
        CREATE UNIQUE INDEX ux_digests_period ON digests(kind, agent, period_start);
        CREATE INDEX ix_digests_created ON digests(created_at);

        CREATE TABLE signals (
            id           INTEGER PRIMARY KEY,
            kind         TEXT NOT NULL,
            key          TEXT NOT NULL UNIQUE,
            severity     TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
            title        TEXT NOT NULL,
            agents       TEXT NOT NULL,
            evidence     TEXT NOT NULL,
            due_at       INTEGER,
            first_seen   INTEGER NOT NULL,
            last_seen    INTEGER NOT NULL,
            detections   INTEGER NOT NULL,
            delivered_at INTEGER
        ) STRICT;
        CREATE INDEX ix_signals_seen ON signals(last_seen);

        CREATE TABLE llm_calls (
            id            INTEGER PRIMARY KEY,
            at            INTEGER NOT NULL,
            purpose       TEXT NOT NULL,
            provider      TEXT NOT NULL,
            model         TEXT,
            input_tokens  INTEGER,
            output_tokens INTEGER,
            cost          REAL,
            latency_ms    INTEGER NOT NULL,
            outcome       TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
            error         TEXT
        ) STRICT;
        CREATE INDEX ix_llm_calls_at ON llm_calls(at);

        CREATE TABLE prompt_runs (
            id         INTEGER PRIMARY KEY,
            purpose    TEXT NOT NULL,
            task       TEXT NOT NULL,
            sources    TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            outcome    TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed')),
            result     TEXT,
            error      TEXT
        ) STRICT;

        CREATE TABLE prompt_passes (
            run_id        INTEGER NOT NULL REFERENCES prompt_runs(id) ON DELETE CASCADE,
            pass          TEXT NOT NULL CHECK (pass IN ('draft', 'critique', 'refine')),
            prompt        TEXT NOT NULL,
            output        TEXT NOT NULL,
            input_tokens  INTEGER,
            output_tokens INTEGER,
            latency_ms    INTEGER NOT NULL,
            PRIMARY KEY (run_id, pass)
        ) STRICT;
        """,
        // 4: voice notes waiting for, or done with, transcription: a durable queue.
        """
        CREATE TABLE voice_jobs (
            id          INTEGER PRIMARY KEY,
            path        TEXT NOT NULL,
            content     BLOB NOT NULL UNIQUE,
            origin      TEXT NOT NULL,
            agent       TEXT,
            session     TEXT,
            status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
            attempts    INTEGER NOT NULL DEFAULT 0,
            not_before  INTEGER NOT NULL,
            error       TEXT,
            created_at  INTEGER NOT NULL,
            started_at  INTEGER,
            finished_at INTEGER,
            memory_id   INTEGER,
            duration_ms INTEGER,
            language    TEXT,
            engine      TEXT,
            model       TEXT,
            audio_deleted INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        CREATE INDEX ix_voice_jobs_status ON voice_jobs(status, not_before, id);
        """,
        // 5: the user's ratings of digests, signals, memories and injected context.
        """
        CREATE TABLE feedback (
            id          INTEGER PRIMARY KEY,
            target_kind TEXT NOT NULL CHECK (target_kind IN ('digest', 'signal', 'memory', 'context')),
            target_id   INTEGER NOT NULL,
            rating      INTEGER NOT NULL CHECK (rating IN (-1, 1)),
            comment     TEXT,
            who         TEXT NOT NULL,
            channel     TEXT NOT NULL,
            at          INTEGER NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX ux_feedback_vote ON feedback(target_kind, target_id, who);
        CREATE INDEX ix_feedback_at ON feedback(at);
        """,
        // 6: what was brought back after each compaction, told to the user so they can rate it;
        // memories by when they were stored.
        """
        CREATE TABLE context_notices (
            id            INTEGER PRIMARY KEY,
            compaction_id INTEGER NOT NULL UNIQUE,
            agent         TEXT NOT NULL,
            session       TEXT NOT NULL,
            memory_ids    TEXT NOT NULL,
            text          TEXT NOT NULL,
            created_at    INTEGER NOT NULL,
            delivered_at  INTEGER
        ) STRICT;
        -- Health's data-quality check reads the last two weeks of ingest by when it was stored.
        CREATE INDEX ix_memories_created ON memories(created_at);
        """,
        // 7: which node holds a running voice job and until when (the shared store's queue; kept
        // here too so both stores run the same statements).
        """
        ALTER TABLE voice_jobs ADD COLUMN node TEXT;
        ALTER TABLE voice_jobs ADD COLUMN lease_until INTEGER;
        """,
        // 8: memories the user pinned, always brought back into their agent's context.
        """
        CREATE TABLE pins (
            memory_id INTEGER PRIMARY KEY,
            agent     TEXT NOT NULL,
            pinned_at INTEGER NOT NULL,
            who       TEXT NOT NULL
        ) STRICT;
        CREATE INDEX ix_pins_agent ON pins(agent);
        """,
        // 9: the session ids each of the host's session keys has had (a new id under a known key
        // is a reset: /new, /reset, daily or idle rotation), and resets that keep the session id.
        """
        CREATE TABLE session_keys (
            agent       TEXT NOT NULL,
            session_key TEXT NOT NULL,
            session     TEXT NOT NULL,
            first_seen  INTEGER NOT NULL,
            PRIMARY KEY (agent, session_key, session)
        ) STRICT;

        -- Resets in place (OpenClaw's /new keeps the session id and appends a reset entry):
        -- everything the session held before one has left the context too.
        CREATE TABLE session_resets (
            agent   TEXT NOT NULL,
            session TEXT NOT NULL,
            at      INTEGER NOT NULL,
            seq     INTEGER,
            reason  TEXT,
            origin  TEXT NOT NULL,
            PRIMARY KEY (agent, session, at)
        ) STRICT;
        """,
        // 10: who sent each voice note OpenClaw received (owner 1, someone else 0, not said NULL),
        // by the audio file's name in media/inbound: a stranger's voice note is external content.
        """
        CREATE TABLE voice_senders (
            file_name TEXT PRIMARY KEY,
            agent     TEXT NOT NULL,
            session   TEXT NOT NULL,
            entry_id  TEXT NOT NULL,
            owner     INTEGER,
            seen_at   INTEGER NOT NULL
        ) STRICT;
        """,
    ];
}
