using System.Text;
using Microsoft.Data.Sqlite;
using ZstdSharp;

namespace Mnemo.Tests.Support;

/// <summary>
/// Builds an agent database with OpenClaw 2026.9.x's table layout (schema_meta primary row,
/// PRAGMA user_version, transcript_events with exactly one of event_json / event_zstd set, and
/// navigation_json beside compressed rows), the way OpenClaw writes it.
/// </summary>
public sealed class OpenClawAgentDatabase
{
    private const string Schema = """
        CREATE TABLE schema_meta (
          meta_key TEXT NOT NULL PRIMARY KEY, role TEXT NOT NULL, schema_version INTEGER NOT NULL,
          agent_id TEXT, app_version TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
        CREATE TABLE session_nodes (
          session_key TEXT PRIMARY KEY, current_session_id TEXT NOT NULL, entry_json TEXT NOT NULL,
          entry_valid INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL) STRICT;
        CREATE TABLE transcript_events (
          session_id TEXT NOT NULL, seq INTEGER NOT NULL, event_json TEXT, created_at INTEGER NOT NULL,
          event_zstd BLOB, event_utf8_bytes INTEGER CHECK (event_utf8_bytes IS NULL OR event_utf8_bytes >= 0),
          navigation_json TEXT,
          PRIMARY KEY (session_id, seq),
          CHECK ((event_json IS NOT NULL AND event_zstd IS NULL) OR (event_json IS NULL AND event_zstd IS NOT NULL
            AND event_utf8_bytes IS NOT NULL AND navigation_json IS NOT NULL))) STRICT;
        CREATE TABLE transcript_event_identities (
          session_id TEXT NOT NULL, event_id TEXT NOT NULL, seq INTEGER NOT NULL, event_type TEXT,
          parent_id TEXT, message_idempotency_key TEXT, created_at INTEGER NOT NULL,
          PRIMARY KEY (session_id, event_id)) STRICT;
        """;

    private readonly string _connectionString;

    public OpenClawAgentDatabase(string path, string agentId, int schemaVersion = 23)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = Schema + $"""
            PRAGMA journal_mode = WAL;
            PRAGMA user_version = {schemaVersion};
            INSERT INTO schema_meta VALUES ('primary', 'agent', {schemaVersion}, '{agentId}', '2026.9.6', 0, 0);
            """;
        command.ExecuteNonQuery();
    }

    public string Path { get; }

    /// <summary>Appends an event; compressed like OpenClaw does for large events.</summary>
    public void Add(string sessionId, long seq, string eventJson, bool compress)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO transcript_events(session_id, seq, event_json, created_at, event_zstd, event_utf8_bytes, navigation_json) VALUES ($s, $q, $j, 0, $z, $n, $nav)";
        command.Parameters.AddWithValue("$s", sessionId);
        command.Parameters.AddWithValue("$q", seq);
        var bytes = Encoding.UTF8.GetBytes(eventJson);
        command.Parameters.AddWithValue("$n", bytes.Length);
        if (compress)
        {
            using var compressor = new Compressor(1);
            command.Parameters.AddWithValue("$j", DBNull.Value);
            command.Parameters.AddWithValue("$z", compressor.Wrap(bytes).ToArray());
            command.Parameters.AddWithValue("$nav", """{"version":1,"report":{"kind":"canonical"},"navigation":{},"reset":{},"model":{}}""");
        }
        else
        {
            command.Parameters.AddWithValue("$j", eventJson);
            command.Parameters.AddWithValue("$z", DBNull.Value);
            command.Parameters.AddWithValue("$nav", DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    public void AddRaw(string sessionId, long seq, byte[] zstd)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO transcript_events(session_id, seq, event_json, created_at, event_zstd, event_utf8_bytes, navigation_json) VALUES ($s, $q, NULL, 0, $z, 1, '{}')";
        command.Parameters.AddWithValue("$s", sessionId);
        command.Parameters.AddWithValue("$q", seq);
        command.Parameters.AddWithValue("$z", zstd);
        command.ExecuteNonQuery();
    }

    /// <summary>Copies every line of a JSONL transcript in as events, compressing the large ones.</summary>
    public void ImportTranscript(string sessionId, string jsonlPath)
    {
        var seq = 0;
        foreach (var line in File.ReadLines(jsonlPath).Where(l => l.Length > 0))
        {
            Add(sessionId, ++seq, line, compress: line.Length >= 300);
        }
    }

    public long CompressedRows()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM transcript_events WHERE event_zstd IS NOT NULL AND event_json IS NULL";
        return (long)command.ExecuteScalar()!;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }
}
