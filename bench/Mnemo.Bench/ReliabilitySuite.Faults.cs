using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Data.Sqlite;

namespace Mnemo.Bench;

/// <summary>The faults that need a data directory (or an OpenClaw, or a model) of their own.</summary>
internal static partial class ReliabilitySuite
{
    /// <summary>Per file, for the serve under a file-size limit: room for the empty store and a few batches.</summary>
    private const int IngestLimitKiB = 640;

    /// <summary>
    /// The disk fills up under a serve taking batches of turns, then under <c>mnemo backup create</c>.
    /// Afterwards, without the limit, everything acknowledged must be there once and both work again.
    /// </summary>
    private static async Task<IReadOnlyList<FaultResult>> DiskFullAsync(string cli)
    {
        var data = Directory.CreateTempSubdirectory("mnemo-reliability-full-").FullName;
        try
        {
            var acknowledged = new List<string>();
            List<string>? refusedIds = null;
            var (refusedStatus, refusedBody, searchStatus) = (0, string.Empty, 0);
            (string? Status, string? Reason) store;
            await using (var server = await Serve.StartAsync(cli, data, fileSizeLimitKiB: IngestLimitKiB).ConfigureAwait(false))
            {
                for (var batch = 0; batch < 200 && refusedIds is null; batch++)
                {
                    var ids = Enumerable.Range(batch * 20 + 1, 20).Select(i => FormattableString.Invariant($"t{i}")).ToList();
                    using var response = await server.PostAsync("/v1/ingest", Ingest("full", ids), CancellationToken.None).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged.AddRange(ids);
                    }
                    else
                    {
                        (refusedIds, refusedStatus, refusedBody) = (ids, (int)response.StatusCode, await response.Content.ReadAsStringAsync().ConfigureAwait(false));
                    }
                }

                store = await server.CheckDetailAsync("store").ConfigureAwait(false);
                using var search = await server.PostAsync("/v1/search", Search("where did the parcel go"), CancellationToken.None).ConfigureAwait(false);
                searchStatus = (int)search.StatusCode;
            }

            refusedIds ??= [];
            var halfStored = (await StoredAsync(data, "full").ConfigureAwait(false)).Keys.Count(refusedIds.Contains);

            // The limit lifted: a plain restart.
            HttpStatusCode retried;
            await using (var server = await Serve.StartAsync(cli, data).ConfigureAwait(false))
            {
                using var again = await server.PostAsync("/v1/ingest", Ingest("full", refusedIds), CancellationToken.None).ConfigureAwait(false);
                retried = again.StatusCode;
            }

            var stored = await StoredAsync(data, "full").ConfigureAwait(false);
            var integrity = await QuickCheckAsync(data).ConfigureAwait(false);
            var ingest = new FaultResult(
                FormattableString.Invariant($"disk full during ingest (serve under a {IngestLimitKiB} KiB file-size limit, batches of 20 turns), then restarted without it"),
                FormattableString.Invariant($"{acknowledged.Count / 20} batches answered 200, then the ingest answers {refusedStatus}: {Clip(refusedBody)}; {halfStored} turns of the refused batch were stored; search still answers {searchStatus}; after the restart the refused batch sent again answers {(int)retried}"),
                $"store {store.Status}: {store.Reason}",
                refusedIds.Count > 0 && halfStored == 0 && retried == HttpStatusCode.OK && integrity && refusedIds.All(stored.ContainsKey) && stored.Values.All(c => c == 1),
                acknowledged.Count(id => !stored.ContainsKey(id)));

            // A backup under a limit below the database's size: VACUUM INTO runs out of room partway.
            var before = await CountAsync(data).ConfigureAwait(false);
            var size = Directory.GetFiles(data, "mnemo.db*").Sum(f => new FileInfo(f).Length);
            var limit = (int)Math.Max(64, size / 2 / 1024);
            var create = await RunCliAsync(limit, cli, data, "backup", "create").ConfigureAwait(false);
            var backups = Path.Combine(data, "backups");
            var left = Directory.Exists(backups) ? Directory.GetFileSystemEntries(backups).Select(Path.GetFileName).ToList() : [];
            var after = await CountAsync(data).ConfigureAwait(false);
            var checkedAfter = await QuickCheckAsync(data).ConfigureAwait(false);
            var again2 = await RunCliAsync(cli, data, "backup", "create").ConfigureAwait(false);
            var backup = new FaultResult(
                FormattableString.Invariant($"disk full during `mnemo backup create` (a {limit} KiB file-size limit; the database is {size / 1024} KiB)"),
                FormattableString.Invariant($"exits {create.ExitCode}: {Clip(create.Output)}; {left.Count} files left in backups/{(left.Count > 0 ? $" ({string.Join(", ", left)})" : string.Empty)}; without the limit it exits {again2.ExitCode}"),
                FormattableString.Invariant($"store: {before} memories before, {after} after; quick_check {(checkedAfter ? "ok" : "**failed**")}"),
                create.ExitCode != 0 && left.Count == 0 && checkedAfter && again2.ExitCode == 0,
                Math.Max(0, before - after));
            return [ingest, backup];
        }
        finally
        {
            TryDelete(data);
        }
    }

    /// <summary>
    /// The embedding model, an OpenAI-compatible endpoint, starts failing during the fourth of four
    /// ingest batches; then it recovers and the refused batch is sent again.
    /// </summary>
    private static async Task<FaultResult> EmbeddingFailsAsync(string cli)
    {
        var data = Directory.CreateTempSubdirectory("mnemo-reliability-embed-").FullName;
        try
        {
            using var stub = ModelStub.Start();
            var model = new Dictionary<string, string>
            {
                ["MNEMO_EMBEDDINGS_PROVIDER"] = "openai",
                ["MNEMO_EMBEDDINGS_URL"] = stub.BaseUrl.AbsoluteUri,
                ["MNEMO_EMBEDDINGS_MODEL"] = "reliability-stub",
                ["MNEMO_EMBEDDINGS_DIMENSIONS"] = ModelStub.Dimensions.ToString(CultureInfo.InvariantCulture),
            };
            await using var server = await Serve.StartAsync(cli, data, model).ConfigureAwait(false);
            var acknowledged = new List<string>();
            for (var batch = 0; batch < 3; batch++)
            {
                var ids = Enumerable.Range(batch * 20 + 1, 20).Select(i => FormattableString.Invariant($"t{i}")).ToList();
                using var response = await server.PostAsync("/v1/ingest", Ingest("embed", ids), CancellationToken.None).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    acknowledged.AddRange(ids);
                }
            }

            var failingCall = stub.Calls + 1;
            stub.FailFrom(failingCall);
            var refusedIds = Enumerable.Range(61, 20).Select(i => FormattableString.Invariant($"t{i}")).ToList();
            using var refused = await server.PostAsync("/v1/ingest", Ingest("embed", refusedIds), CancellationToken.None).ConfigureAwait(false);
            var refusedBody = await refused.Content.ReadAsStringAsync().ConfigureAwait(false);
            var halfStored = (await StoredAsync(data, "embed").ConfigureAwait(false)).Keys.Count(refusedIds.Contains);
            var quality = await server.CheckDetailAsync("data-quality").ConfigureAwait(false);
            var embedder = await server.CheckDetailAsync("embedder").ConfigureAwait(false);
            stub.Recover();
            using var again = await server.PostAsync("/v1/ingest", Ingest("embed", refusedIds), CancellationToken.None).ConfigureAwait(false);
            var stored = await StoredAsync(data, "embed").ConfigureAwait(false);
            return new FaultResult(
                FormattableString.Invariant($"the embedding model (an OpenAI-compatible endpoint) answers 500 from its call {failingCall} on, the 4th of 4 ingest batches, then recovers"),
                FormattableString.Invariant($"{acknowledged.Count / 20} batches answered 200, then the ingest answers {(int)refused.StatusCode}{(refused.Headers.RetryAfter is { } retry ? $" (Retry-After {retry})" : string.Empty)}: {Clip(refusedBody)}; {halfStored} turns of that batch were stored; once the model works the same batch answers {(int)again.StatusCode}"),
                $"data-quality {quality.Status}: {quality.Reason}; embedder {embedder.Status}",
                refused.StatusCode != HttpStatusCode.OK && halfStored == 0 && again.StatusCode == HttpStatusCode.OK && refusedIds.All(stored.ContainsKey) && stored.Values.All(c => c == 1),
                acknowledged.Count(id => !stored.ContainsKey(id)));
        }
        finally
        {
            TryDelete(data);
        }
    }

    /// <summary>
    /// A serve following an OpenClaw state directory with two agent databases and a JSONL agent;
    /// one database gets a column renamed, the other a schema version this Mnemo does not know.
    /// Each is put back afterwards.
    /// </summary>
    private static async Task<IReadOnlyList<FaultResult>> OpenClawSchemaChangesAsync(string cli)
    {
        var root = Directory.CreateTempSubdirectory("mnemo-reliability-openclaw-").FullName;
        try
        {
            var state = Path.Combine(root, "openclaw");
            var data = Path.Combine(root, "data");
            var home = AgentDatabase(state, "home", 23, 20);
            var work = AgentDatabase(state, "work", 24, 10);
            var sessions = Path.Combine(state, "agents", "main", "sessions");
            Directory.CreateDirectory(sessions);
            await File.WriteAllLinesAsync(Path.Combine(sessions, "m1.jsonl"), Jsonl("m1", 4)).ConfigureAwait(false);
            var follow = new Dictionary<string, string>
            {
                ["MNEMO_OpenClaw__Follow"] = "true",
                ["MNEMO_OpenClaw__StateDirectory"] = state,
                ["MNEMO_OpenClaw__PollInterval"] = "00:00:00.500",
            };
            await using var server = await Serve.StartAsync(cli, data, follow).ConfigureAwait(false);
            await UntilAsync(async () => await AgentCountAsync(data, "home").ConfigureAwait(false) == 20 && await AgentCountAsync(data, "work").ConfigureAwait(false) == 10 && await AgentCountAsync(data, "main").ConfigureAwait(false) == 4).ConfigureAwait(false);
            var results = new List<FaultResult>();

            // A column renamed (a migration of OpenClaw's), then put back with a new row after it.
            var homeBefore = await AgentCountAsync(data, "home").ConfigureAwait(false);
            await ExecuteAsync(home, "ALTER TABLE transcript_events RENAME COLUMN event_json TO event_text").ConfigureAwait(false);
            await File.WriteAllLinesAsync(Path.Combine(sessions, "m2.jsonl"), Jsonl("m2", 2)).ConfigureAwait(false);
            (string? Status, string? Reason) check = default;
            var seen = await UntilAsync(async () =>
            {
                check = await server.CheckDetailAsync("openclaw").ConfigureAwait(false);
                return check.Status == "degraded" && await AgentCountAsync(data, "main").ConfigureAwait(false) == 6;
            }).ConfigureAwait(false);
            var degraded = check;
            var homeDuring = await AgentCountAsync(data, "home").ConfigureAwait(false);
            await ExecuteAsync(home, "ALTER TABLE transcript_events RENAME COLUMN event_text TO event_json").ConfigureAwait(false);
            await ExecuteAsync(home, Row(21, "h21")).ConfigureAwait(false);
            var back = await UntilAsync(async () => await AgentCountAsync(data, "home").ConfigureAwait(false) == 21 && (await server.CheckDetailAsync("openclaw").ConfigureAwait(false)).Status == "healthy").ConfigureAwait(false);
            results.Add(new FaultResult(
                "a column of OpenClaw's transcript_events renamed underneath a following serve, then renamed back",
                FormattableString.Invariant($"{(seen ? "within 30 s" : "**not within 30 s**")} health names the file and the other agent's 2 new turns were ingested; {homeDuring} of that agent's {homeBefore} memories kept; once the column is back its new row is read{(back ? string.Empty : " (**it was not, within 30 s**)")}"),
                $"openclaw {degraded.Status}: {(degraded.Reason ?? string.Empty).Replace(root, "<tmp>", StringComparison.Ordinal)}",
                seen && back,
                homeBefore - homeDuring));

            // The schema version bumped past the ones this Mnemo knows (a newer OpenClaw), then put back.
            var workBefore = await AgentCountAsync(data, "work").ConfigureAwait(false);
            await ExecuteAsync(work, "UPDATE schema_meta SET schema_version = 99; PRAGMA user_version = 99").ConfigureAwait(false);
            seen = await UntilAsync(async () =>
            {
                check = await server.CheckDetailAsync("openclaw").ConfigureAwait(false);
                return check.Status == "degraded";
            }).ConfigureAwait(false);
            degraded = check;
            var workDuring = await AgentCountAsync(data, "work").ConfigureAwait(false);
            await ExecuteAsync(work, "UPDATE schema_meta SET schema_version = 24; PRAGMA user_version = 24").ConfigureAwait(false);
            await ExecuteAsync(work, Row(11, "w11")).ConfigureAwait(false);
            back = await UntilAsync(async () => await AgentCountAsync(data, "work").ConfigureAwait(false) == 11 && (await server.CheckDetailAsync("openclaw").ConfigureAwait(false)).Status == "healthy").ConfigureAwait(false);
            results.Add(new FaultResult(
                "an agent database's schema version bumped to 99 underneath a following serve, then put back",
                FormattableString.Invariant($"{(seen ? "within 30 s" : "**not within 30 s**")} health names the file and the version; {workDuring} of that agent's {workBefore} memories kept; once the version is back its new row is read{(back ? string.Empty : " (**it was not, within 30 s**)")}"),
                $"openclaw {degraded.Status}: {(degraded.Reason ?? string.Empty).Replace(root, "<tmp>", StringComparison.Ordinal)}",
                seen && back,
                workBefore - workDuring));
            return results;
        }
        finally
        {
            TryDelete(root);
        }
    }

    /// <summary>An agent database with OpenClaw 2026.9's transcript layout (as the reader's tests build it), with rows 1..n.</summary>
    private static string AgentDatabase(string state, string agent, int schemaVersion, int rows)
    {
        var path = Path.Combine(state, "agents", agent, "agent", "openclaw-agent.sqlite");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = string.Create(CultureInfo.InvariantCulture, $"""
            CREATE TABLE schema_meta (
              meta_key TEXT NOT NULL PRIMARY KEY, role TEXT NOT NULL, schema_version INTEGER NOT NULL,
              agent_id TEXT, app_version TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
            CREATE TABLE transcript_events (
              session_id TEXT NOT NULL, seq INTEGER NOT NULL, event_json TEXT, created_at INTEGER NOT NULL,
              event_zstd BLOB, event_utf8_bytes INTEGER, navigation_json TEXT,
              PRIMARY KEY (session_id, seq)) STRICT;
            PRAGMA journal_mode = WAL;
            PRAGMA user_version = {schemaVersion};
            INSERT INTO schema_meta VALUES ('primary', 'agent', {schemaVersion}, '{agent}', '2026.9.6', 0, 0);
            {string.Concat(Enumerable.Range(1, rows).Select(i => Row(i, $"{agent[0]}{i}")))}
            """);
        command.ExecuteNonQuery();
        return path;
    }

    private static string Row(int seq, string id) => string.Create(CultureInfo.InvariantCulture,
        $"INSERT INTO transcript_events(session_id, seq, event_json, created_at) VALUES ('s1', {seq}, '{{\"type\":\"message\",\"id\":\"{id}\",\"parentId\":null,\"timestamp\":\"2026-11-25T00:00:{seq % 60:00}.000Z\",\"message\":{{\"role\":\"user\",\"content\":\"Entry {id}: the plant on the balcony needs water every {seq} days\"}}}}', 0);\n");

    private static IEnumerable<string> Jsonl(string session, int messages)
    {
        yield return $$"""{"type":"session","version":4,"id":"{{session}}","timestamp":"2026-11-25T00:00:00.000Z","cwd":"/tmp"}""";
        for (var i = 1; i <= messages; i++)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $$$"""{"type":"message","id":"{{{session}}}-{{{i}}}","parentId":null,"timestamp":"2026-11-25T00:01:{{{i:00}}}.000Z","message":{"role":"{{{(i % 2 == 1 ? "user" : "assistant")}}}","content":"Message {{{i}}} of {{{session}}}: the bike lock code changed to {{{1000 + i}}}"}}""");
        }
    }

    private static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static async Task<long> AgentCountAsync(string data, string agent)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "mnemo.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM memories WHERE agent = $agent AND chunk = 0";
        command.Parameters.AddWithValue("$agent", agent);
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>True once the condition holds (checked every 200 ms), false after 30 s.</summary>
    private static async Task<bool> UntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (await condition().ConfigureAwait(false))
            {
                return true;
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        return false;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
