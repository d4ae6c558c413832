using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Mnemo.Domain;
using ZstdSharp;

namespace Mnemo.Readers;

/// <summary>
/// OpenClaw transcripts from 2026.7.2 on: one SQLite database per agent, table
/// <c>transcript_events</c>, large events zstd-compressed. Opened read-only; never written.
/// The cursor is the last <c>seq</c> read per session, as JSON.
/// </summary>
public sealed class OpenClawSqliteReader : ITurnReader
{
    /// <summary>Agent schema versions whose transcript layout this reader knows (23: 2026.9.6, 24: 2026.9.7).</summary>
    public static readonly IReadOnlySet<long> KnownSchemaVersions = new HashSet<long> { 23, 24 };

    /// <summary>OpenClaw never stores an event larger than 4 MiB; anything that inflates past it is refused.</summary>
    private const int MaxEventBytes = 4 * 1024 * 1024;

    private const int CheckpointEvery = 256;

    public string Format => "openclaw-sqlite";

    public async IAsyncEnumerable<ReadItem> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = request.Path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString();

        await using var connection = new SqliteConnection(connectionString);
        string? openProblem = null;
        long? version = null;
        string? agentInDb = null;
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            (version, agentInDb, openProblem) = await ReadSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            openProblem = $"cannot open as an OpenClaw agent database: {ex.Message}";
        }

        if (openProblem is null && version is null)
        {
            openProblem = "not an OpenClaw agent database (no schema_meta or user_version); skipped";
        }
        else if (openProblem is null && !KnownSchemaVersions.Contains(version!.Value))
        {
            openProblem = string.Create(CultureInfo.InvariantCulture,
                $"OpenClaw agent schema version {version} is not one this Mnemo knows ({string.Join(", ", KnownSchemaVersions)}); skipped, nothing read. Upgrade Mnemo to read it.");
        }

        if (openProblem is not null)
        {
            yield return new IssueRead(new ReadIssue(request.Path, null, openProblem));
            yield break;
        }

        var agent = request.Agent ?? OpenClawPaths.AgentFromPath(request.Path) ?? agentInDb ?? "main";
        var cursor = ParseCursor(request.Cursor);

        // OpenClaw may migrate or replace the database while it is being read (a table or column
        // renamed, the file swapped): every read below can fail with SQLite's error. What was read
        // before stays stored, the cursor stays where it was, and the issue names the file.
        var (sessions, listProblem) = await ListSessionsAsync(connection, cancellationToken).ConfigureAwait(false);
        if (listProblem is not null)
        {
            yield return new IssueRead(new ReadIssue(request.Path, null, Changed(listProblem)));
            yield break;
        }

        using var decompressor = new Decompressor();
        foreach (var session in sessions)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT seq, event_json, event_zstd FROM transcript_events WHERE session_id = $session AND seq > $after ORDER BY seq";
            command.Parameters.AddWithValue("$session", session);
            command.Parameters.AddWithValue("$after", cursor.GetValueOrDefault(session, long.MinValue));
            SqliteDataReader? reader = null;
            string? problem = null;
            try
            {
                reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException ex)
            {
                problem = ex.Message;
            }

            if (reader is null)
            {
                yield return new IssueRead(new ReadIssue(request.Path, null, Changed(problem!)));
                yield break;
            }

            await using (reader)
            {
                var sinceCheckpoint = 0;
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (SqliteException ex)
                    {
                        problem = ex.Message;
                        more = false;
                    }

                    if (problem is not null)
                    {
                        yield return new IssueRead(new ReadIssue(request.Path, null, Changed($"session {session}: {problem}")));
                        yield break;
                    }

                    if (!more)
                    {
                        break;
                    }

                    var seq = reader.GetInt64(0);
                    var (read, rowProblem) = ReadRow(reader, decompressor, agent, session, request.Path, seq);
                    if (rowProblem is not null)
                    {
                        yield return new IssueRead(new ReadIssue(request.Path, seq, $"session {session}: {rowProblem}"));
                    }

                    if (read is not null)
                    {
                        yield return read;
                    }

                    cursor[session] = seq;
                    if (++sinceCheckpoint >= CheckpointEvery)
                    {
                        sinceCheckpoint = 0;
                        yield return new CheckpointRead(FormatCursor(cursor));
                    }
                }
            }

            yield return new CheckpointRead(FormatCursor(cursor));
        }
    }

    /// <summary>What the user reads when the database stopped being readable partway.</summary>
    private static string Changed(string problem) =>
        $"the agent database changed underneath or cannot be read ({problem}); reading stopped there: what was read before is kept, nothing after it is read, and it is tried again at the next pass (a newer OpenClaw layout needs a newer Mnemo)";

    private static async Task<(List<string> Sessions, string? Problem)> ListSessionsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var sessions = new List<string>();
        try
        {
            await using var list = connection.CreateCommand();
            list.CommandText = "SELECT DISTINCT session_id FROM transcript_events ORDER BY session_id";
            await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sessions.Add(reader.GetString(0));
            }

            return (sessions, null);
        }
        catch (SqliteException ex)
        {
            return (sessions, ex.Message);
        }
    }

    private static (ReadItem? Read, string? Problem) ReadRow(SqliteDataReader reader, Decompressor decompressor, string agent, string session, string source, long seq)
    {
        try
        {
            byte[] json;
            if (!reader.IsDBNull(1))
            {
                json = System.Text.Encoding.UTF8.GetBytes(reader.GetString(1));
            }
            else if (!reader.IsDBNull(2))
            {
                var compressed = (byte[])reader.GetValue(2);
                var size = Decompressor.GetDecompressedSize(compressed);
                if (size > MaxEventBytes)
                {
                    return (null, $"compressed event claims {size} bytes, over the 4 MiB limit; skipped");
                }

                json = decompressor.Unwrap(compressed, MaxEventBytes).ToArray();
            }
            else
            {
                return (null, "event has neither event_json nor event_zstd; skipped");
            }

            using var document = JsonDocument.Parse(json);
            var read = OpenClawEvent.Parse(document.RootElement, agent, session, source, seq, out var problem);
            return (read, problem);
        }
        catch (JsonException ex)
        {
            return (null, $"malformed event JSON ({ex.Message}); skipped");
        }
        catch (ZstdException ex)
        {
            return (null, $"corrupt zstd event ({ex.Message}); skipped");
        }
        catch (InvalidOperationException ex)
        {
            return (null, $"unreadable event ({ex.Message}); skipped");
        }
    }

    /// <summary>Reads the agent schema version: <c>schema_meta</c>'s primary row, else <c>PRAGMA user_version</c>.</summary>
    private static async Task<(long? Version, string? Agent, string? Problem)> ReadSchemaAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var tables = connection.CreateCommand();
        tables.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('schema_meta', 'transcript_events')";
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await tables.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                names.Add(reader.GetString(0));
            }
        }

        if (!names.Contains("transcript_events"))
        {
            return (null, null, names.Contains("schema_meta") ? "an OpenClaw agent database (it has schema_meta) without a transcript_events table: renamed or dropped by a newer OpenClaw? Nothing read; a newer layout needs a newer Mnemo" : null);
        }

        if (names.Contains("schema_meta"))
        {
            await using var meta = connection.CreateCommand();
            meta.CommandText = "SELECT schema_version, agent_id FROM schema_meta WHERE meta_key = 'primary'";
            try
            {
                await using var reader = await meta.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), null);
                }
            }
            catch (SqliteException)
            {
                // An older or foreign schema_meta layout: fall back to user_version.
            }
        }

        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA user_version";
        var userVersion = Convert.ToInt64(await pragma.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        return (userVersion == 0 ? null : userVersion, null, null);
    }

    private static Dictionary<string, long> ParseCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return new Dictionary<string, long>(StringComparer.Ordinal);
        }

        try
        {
            return JsonSerializer.Deserialize(cursor, MnemoJsonContext.Default.DictionaryStringInt64) ?? new Dictionary<string, long>(StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return new Dictionary<string, long>(StringComparer.Ordinal);
        }
    }

    private static string FormatCursor(Dictionary<string, long> cursor) => JsonSerializer.Serialize(cursor, MnemoJsonContext.Default.DictionaryStringInt64);
}
