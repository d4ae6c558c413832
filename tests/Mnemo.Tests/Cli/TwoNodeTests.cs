using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mnemo.Tests.Support;
using Npgsql;

namespace Mnemo.Tests.Cli;

/// <summary>
/// Two real <c>mnemo serve</c> processes on one PostgreSQL database, as two machines would run:
/// memories cross between them, queued work is split with none done twice, a node killed mid-job
/// has its job finished by the other, and a scheduled job that fires on both clocks runs once.
/// </summary>
[Collection(PostgresGroup.Name)]
public sealed partial class TwoNodeTests(PostgresServer server)
{
    private const string Token = "two-node-test-token";

    [Fact]
    public async Task TwoServeProcesses_ShareMemory_SplitQueuedWork_SurviveAKill_AndRunAScheduledJobOnce()
    {
        using var dir = new TempDirectory();
        var connection = await server.CreateDatabaseAsync();
        await using var a = await Node.StartAsync(dir.File("a"), "node-a", connection);
        await using var b = await Node.StartAsync(dir.File("b"), "node-b", connection);
        var nodes = new Dictionary<string, Node>(StringComparer.Ordinal) { ["node-a"] = a, ["node-b"] = b };

        // A memory ingested on one node is found by search on the other.
        var ingested = await a.PostAsync("/v1/ingest", Turns("shared", 1, i => "The wifi password for the cabin is maple-syrup-42"));
        Assert.Equal(HttpStatusCode.OK, ingested.StatusCode);
        await Eventually.HoldsAsync(async () => (await b.SearchAsync("cabin wifi password")).Contains("maple-syrup-42", StringComparison.Ordinal), "node b never found node a's memory", TimeSpan.FromSeconds(60));

        // 100 queued jobs are split between the nodes, none done twice.
        for (var i = 0; i < 100; i++)
        {
            var queued = await (i % 2 == 0 ? a : b).PostAsync("/v1/ingest?queued=true", Turns("queued", 1, _ => $"queued note number {i}", first: i));
            Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        }

        await Eventually.HoldsAsync(async () => await ScalarAsync(connection, "SELECT count(*) FROM work_items WHERE status = 'done'") == 100, "the queue was not drained", TimeSpan.FromSeconds(60));
        Assert.True(await ScalarAsync(connection, "SELECT count(*) FROM work_items WHERE finished_by = 'node-a'") > 0, "node a did none of the work");
        Assert.True(await ScalarAsync(connection, "SELECT count(*) FROM work_items WHERE finished_by = 'node-b'") > 0, "node b did none of the work");
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM (SELECT item_id FROM work_attempts GROUP BY item_id HAVING count(*) > 1) AS twice"));
        Assert.Equal(100, await ScalarAsync(connection, "SELECT count(*) FROM memories WHERE session = 'queued'"));
        Assert.Equal(100, await ScalarAsync(connection, "SELECT count(*) FROM audit_log WHERE action = 'add' AND memory_id IN (SELECT id FROM memories WHERE session = 'queued')"));

        // A scheduled job fires on both nodes' clocks (every minute here) and runs once.
        await Eventually.HoldsAsync(async () => await ScalarAsync(connection, "SELECT count(*) FROM job_occurrences WHERE job = 'hourly-summary' AND status = 'succeeded' AND claims = 2") > 0, "no occurrence was claimed by both nodes", TimeSpan.FromSeconds(100));
        var occurrence = await ScalarAsync(connection, "SELECT min(occurrence) FROM job_occurrences WHERE job = 'hourly-summary' AND status = 'succeeded' AND claims = 2");
        Assert.Equal(1, await ScalarAsync(connection, $"SELECT count(*) FROM job_runs WHERE job = 'hourly-summary' AND occurrence = {occurrence}"));

        // A node killed mid-job has its job finished by the other.
        var big = await a.PostAsync("/v1/ingest?queued=true", Turns("big", 1000, i => $"long import line {i}: the tide table for the harbour on day {i}"));
        Assert.Equal(HttpStatusCode.Accepted, big.StatusCode);
        var owner = await WaitForOwnerAsync(connection);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM work_items WHERE status = 'done' AND payload LIKE '%long import line%'"));
        nodes[owner].Kill();
        var survivor = owner == "node-a" ? "node-b" : "node-a";
        try
        {
            await Eventually.HoldsAsync(async () => await ScalarAsync(connection, "SELECT count(*) FROM work_items WHERE status = 'done' AND payload LIKE '%long import line%'") == 1, "the dead node's job was not finished", TimeSpan.FromSeconds(120));
        }
        catch (Xunit.Sdk.XunitException)
        {
            var state = await TextAsync(connection, "SELECT status || ' ' || coalesce(lease_owner, '-') || ' ' || attempts || ' ' || coalesce(error, '-') || ' ' || coalesce(lease_until::text, '-') || ' now ' || now()::text FROM work_items WHERE payload LIKE '%long import line%'");
            Assert.Fail($"the dead node's job was not finished: {state}\n{nodes[survivor].Log}");
        }
        Assert.Equal(survivor, await TextAsync(connection, "SELECT finished_by FROM work_items WHERE payload LIKE '%long import line%'"));
        Assert.Equal(2, await ScalarAsync(connection, "SELECT count(*) FROM work_attempts w JOIN work_items i ON i.id = w.item_id WHERE i.payload LIKE '%long import line%'"));
        Assert.Equal(1000, await ScalarAsync(connection, "SELECT count(*) FROM memories WHERE session = 'big'"));
        Assert.Equal(1000, await ScalarAsync(connection, "SELECT count(DISTINCT memory_id) FROM audit_log WHERE action = 'add' AND memory_id IN (SELECT id FROM memories WHERE session = 'big')"));
        Assert.Equal(1000, await ScalarAsync(connection, "SELECT count(*) FROM audit_log WHERE action = 'add' AND memory_id IN (SELECT id FROM memories WHERE session = 'big')"));
        Assert.Contains("tide table", await nodes[survivor].SearchAsync("harbour tide table day 512"), StringComparison.Ordinal);
    }

    private static async Task<string> WaitForOwnerAsync(string connection)
    {
        string? owner = null;
        await Eventually.HoldsAsync(
            async () => (owner = await TextAsync(connection, "SELECT lease_owner FROM work_items WHERE status = 'running' AND payload LIKE '%long import line%'")) is not null,
            "no node took the big job", TimeSpan.FromSeconds(60));
        return owner!;
    }

    private static string Turns(string session, int count, Func<int, string> text, int first = 0)
    {
        var turns = Enumerable.Range(first, count).Select(i => new Dictionary<string, object>
        {
            ["agent"] = "family",
            ["session"] = session,
            ["id"] = $"{session}-{i}",
            ["role"] = "user",
            ["text"] = text(i),
        });
        return JsonSerializer.Serialize(new Dictionary<string, object> { ["turns"] = turns, ["source"] = "two-node-test" });
    }

    private static async Task<long> ScalarAsync(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        return await command.ExecuteScalarAsync() is { } value and not DBNull ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    private static async Task<string?> TextAsync(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        return await command.ExecuteScalarAsync() as string;
    }

    [GeneratedRegex(@"listening on (http://[^,;\s]+)")]
    private static partial Regex Listening();

    private sealed class Node : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _http;

        private readonly StringBuilder _log;

        private Node(string dataDirectory, Process process, Uri url, StringBuilder log)
        {
            _log = log;
            DataDirectory = dataDirectory;
            _process = process;
            _http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        public string DataDirectory { get; }

        public string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        public static async Task<Node> StartAsync(string dataDirectory, string name, string connection)
        {
            Directory.CreateDirectory(dataDirectory);
            await File.WriteAllTextAsync(Path.Combine(dataDirectory, "config.json"), $$"""
                {
                  "Auth": { "Token": "{{Token}}", "FeedbackKey": "two-node-feedback-key" },
                  "Store": { "Provider": "postgres", "Node": "{{name}}", "WorkLease": "00:00:03" },
                  "Schedule": { "Jobs": { "hourly-summary": { "Cron": "* * * * *" } } }
                }
                """);
            var info = CliProcess.StartInfo(dataDirectory, "serve", "--urls", "http://127.0.0.1:0", "--no-follow");
            // The connection string comes from the environment, as a password would.
            info.Environment["MNEMO_Store__Connection"] = connection;
            var process = Process.Start(info)!;
            var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    listening.TrySetException(new InvalidOperationException($"{name} exited before listening: {log}"));
                    return;
                }

                lock (log)
                {
                    log.AppendLine(e.Data);
                }

                if (Listening().Match(e.Data) is { Success: true } match)
                {
                    listening.TrySetResult(new Uri(match.Groups[1].Value));
                }
            };
            process.OutputDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(120));
            return new Node(dataDirectory, process, url, log);
        }

        public Task<HttpResponseMessage> PostAsync(string path, string json) =>
            _http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

        public async Task<string> SearchAsync(string query)
        {
            using var response = await PostAsync("/v1/search", JsonSerializer.Serialize(new Dictionary<string, object> { ["query"] = query, ["k"] = 5 }));
            return await response.Content.ReadAsStringAsync();
        }

        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
