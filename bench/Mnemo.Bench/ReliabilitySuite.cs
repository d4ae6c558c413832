using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Mnemo.Bench;

/// <summary>
/// The reliability suite (<c>./test.sh --reliability</c>): the real <c>mnemo serve</c> program,
/// killed with SIGKILL at random moments of heavy ingest and restarted, a second serve on the same
/// data directory, searches racing ingest, and a steady load on search and context. Writes
/// docs/reliability.md with the figures and fails (exit 1) when anything acknowledged was lost,
/// the store or its index came back wrong, or a request failed.
/// </summary>
internal static class ReliabilitySuite
{
    private const string Agent = "reliability";

    public static async Task<int> RunAsync(string repositoryRoot, int kills, TimeSpan loadDuration, string output)
    {
        var cli = Path.Combine(repositoryRoot, "src", "Mnemo.Cli", "bin", "Release", "net10.0", "mnemo.dll");
        if (!File.Exists(cli))
        {
            Console.Error.WriteLine($"{cli} is not built: run dotnet build Mnemo.slnx -c Release first");
            return 2;
        }

        var data = Directory.CreateTempSubdirectory("mnemo-reliability-").FullName;
        var report = new StringBuilder();
        var failures = new List<string>();
        try
        {
            var started = DateTimeOffset.UtcNow;
            var crash = await CrashAsync(cli, data, kills).ConfigureAwait(false);
            Console.WriteLine($"crash: {crash.Kills} kills, {crash.Acknowledged} acknowledged, {crash.Lost} lost, {crash.Duplicates} duplicated, {crash.IntegrityFailures} integrity failures, {crash.IndexDisagreements} index disagreements");
            if (crash.Lost + crash.Duplicates + crash.IntegrityFailures + crash.IndexDisagreements > 0)
            {
                failures.Add("crash");
            }

            var server = await Serve.StartAsync(cli, data).ConfigureAwait(false);
            var second = await SecondProcessAsync(cli, data).ConfigureAwait(false);
            Console.WriteLine($"second serve on the same data directory: exit {second.ExitCode}: {second.Message}");
            if (second.ExitCode == 0 || second.ExitCode is null)
            {
                failures.Add("second process");
            }

            var race = await SearchWhileIngestingAsync(server, TimeSpan.FromSeconds(20)).ConfigureAwait(false);
            Console.WriteLine($"32 searches while ingesting: {race.Requests} requests, p99 {race.P99:F1} ms, {race.Errors} errors");
            var search = await SteadyLoadAsync(server, "/v1/search", loadDuration, 20).ConfigureAwait(false);
            var context = await SteadyLoadAsync(server, "/v1/context", loadDuration, 20).ConfigureAwait(false);
            Console.WriteLine($"load: search {search.Requests} requests p99 {search.P99:F1} ms, {search.Errors} errors; context {context.Requests} requests p99 {context.P99:F1} ms, {context.Errors} errors");
            if (race.Errors + search.Errors + context.Errors > 0)
            {
                failures.Add("load");
            }

            var fuzz = await FuzzApiAsync(server, 10_000).ConfigureAwait(false);
            var alive = await server.CheckAsync("store").ConfigureAwait(false);
            Console.WriteLine($"api fuzz: {fuzz.Tried} bodies, {fuzz.ServerErrors} server errors, {fuzz.Hangs} hangs; store {alive} afterwards");
            if (fuzz.ServerErrors + fuzz.Hangs > 0 || alive != "healthy")
            {
                failures.Add("api fuzz");
            }

            await server.DisposeAsync().ConfigureAwait(false);
            var faults = await FaultsAsync(cli, data).ConfigureAwait(false);
            foreach (var fault in faults)
            {
                Console.WriteLine($"fault: {fault.Fault}: {fault.Seen}; health {fault.Health}; {fault.Lost} lost");
            }

            if (faults.Any(f => f.Lost != 0 || !f.Recovered))
            {
                failures.Add("faults");
            }

            // Secrets and memory text never reach the logs (serve logs at Information), and the data
            // directory and its config are the owner's alone.
            var logFiles = Directory.Exists(Path.Combine(data, "logs")) ? Directory.GetFiles(Path.Combine(data, "logs"), "*", SearchOption.AllDirectories) : [];
            var logs = Serve.Output.Concat(logFiles.SelectMany(File.ReadLines)).ToList();
            var leaks = logs.Count(line => line.Contains(Serve.BearerToken, StringComparison.Ordinal) || line.Contains("the answer this time is item", StringComparison.Ordinal));
            var modes = OperatingSystem.IsWindows() ? "not checked on Windows" : FormattableString.Invariant($"data directory {Convert.ToString((int)File.GetUnixFileMode(data), 8)}, config.json {Convert.ToString((int)File.GetUnixFileMode(Path.Combine(data, "config.json")), 8)}");
            Console.WriteLine($"logs: {logs.Count} lines, {leaks} with the token or memory text; {modes}");
            if (leaks > 0 || (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(data) != (UnixFileMode)0b111_000_000 || File.GetUnixFileMode(Path.Combine(data, "config.json")) != (UnixFileMode)0b110_000_000)))
            {
                failures.Add("secrets");
            }

            report.Append(CultureInfo.InvariantCulture, $"""
                # Reliability

                `./test.sh --reliability` (which runs `dotnet run -c Release --project bench/Mnemo.Bench -- --reliability`)
                drives the real `mnemo serve` program over HTTP on 127.0.0.1 and writes this file. Run of
                {started:yyyy-MM-dd HH:mm} UTC on this machine ({Environment.ProcessorCount} cores), .NET {Environment.Version}.
                It exits non-zero when a figure below that must be 0 is not.

                ## Crash: SIGKILL during heavy ingest

                Four writers post batches of 20 turns to `POST /v1/ingest` as fast as they are answered; after
                a random 0.3 to 3 s the process is killed with SIGKILL, then started again on the same data
                directory. After each restart: SQLite's `PRAGMA quick_check`, every turn whose batch was
                answered 200 must be stored exactly once, and health's index check must find the vector
                index agreeing with the store (the index is derived: it catches up from the audit log).

                | kills | turns acknowledged | lost | stored twice | integrity failures | index disagreements | mean restart to ready |
                |---|---|---|---|---|---|---|
                | {crash.Kills} | {crash.Acknowledged} | {crash.Lost} | {crash.Duplicates} | {crash.IntegrityFailures} | {crash.IndexDisagreements} | {crash.MeanRestart.TotalSeconds:F1} s |

                ## Two processes on one data directory

                A second `mnemo serve` on the data directory a first one is serving refuses to start: it
                exits with code {second.ExitCode} and says: "{second.Message}". The command-line tools
                (search, ingest, backup) still work beside a running serve; only one serve owns the
                directory (its vector index file and schedule).

                ## Searches racing ingest

                32 concurrent clients search (`POST /v1/search`) for 20 s while a writer ingests batches of 20 turns.

                | requests | p50 | p95 | p99 | errors |
                |---|---|---|---|---|
                | {race.Requests} | {race.P50:F1} ms | {race.P95:F1} ms | {race.P99:F1} ms | {race.Errors} |

                ## Steady load

                {loadDuration.TotalSeconds:F0} s at 20 requests a second (open loop: a request starts on schedule whether or not
                the previous ones are done), on a store of {server.Memories} memories. Latency is measured by the client,
                the query embedding included.

                | route | requests | throughput | p50 | p95 | p99 | errors |
                |---|---|---|---|---|---|---|
                | `POST /v1/search` | {search.Requests} | {search.Throughput:F1}/s | {search.P50:F1} ms | {search.P95:F1} ms | {search.P99:F1} ms | {search.Errors} |
                | `POST /v1/context` | {context.Requests} | {context.Throughput:F1}/s | {context.P50:F1} ms | {context.P95:F1} ms | {context.P99:F1} ms | {context.Errors} |

                ## Bad input to the HTTP API

                {fuzz.Tried:N0} generated and mutated bodies (valid bodies of every JSON route with bytes flipped,
                cut or repeated, fields of the wrong type, JSON nested 100,000 deep, 2 MB strings, invalid
                UTF-8, path traversal in a memory id), each sent with the token; a 5xx answer or no answer within
                10 s counts against it. "Cut short" are bodies over the size limit that the server stopped reading
                before the client had sent them all (it answered the next request as usual). The store's health
                afterwards: {alive}.

                | bodies | 4xx answers | 5xx answers | cut short | hangs |
                |---|---|---|---|---|
                | {fuzz.Tried} | {fuzz.ClientErrors} | {fuzz.ServerErrors} | {fuzz.CutShort} | {fuzz.Hangs} |

                ## Faults

                Each fault is made to happen to a running (or restarting) serve; the table says what the user sees,
                what health says, whether everything worked again once the fault was gone, and how many memories
                acknowledged before it were lost.

                | fault | what the user sees | health | works again | acknowledged lost |
                |---|---|---|---|---|
                {string.Join("\n", faults.Select(f => $"| {f.Fault} | {f.Seen.Replace("|", "\\|", StringComparison.Ordinal)} | {f.Health} | {(f.Recovered ? "yes" : "**no**")} | {f.Lost} |"))}

                ## Secrets and permissions

                Every line the serve processes of this run logged to the console and to the log files ({logs.Count:N0} lines, at the default level)
                was searched for the API token and for text of the memories ingested: {leaks} lines held either.
                Permissions: {modes} (must be 700 and 600).

                """);
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            await File.WriteAllTextAsync(output, report.ToString()).ConfigureAwait(false);
            Console.WriteLine(failures.Count == 0 ? $"wrote {output}" : $"wrote {output}; FAILED: {string.Join(", ", failures)}");
            return failures.Count == 0 ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed record CrashResult(int Kills, int Acknowledged, int Lost, int Duplicates, int IntegrityFailures, int IndexDisagreements, TimeSpan MeanRestart);

    private static async Task<CrashResult> CrashAsync(string cli, string data, int kills)
    {
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var (integrity, index) = (0, 0);
        var restarts = new List<TimeSpan>();
        var random = new Random(20261125);
        var next = 0;
        for (var kill = 0; kill <= kills; kill++)
        {
            var clock = Stopwatch.StartNew();
            var server = await Serve.StartAsync(cli, data).ConfigureAwait(false);
            restarts.Add(clock.Elapsed);

            // What the previous process acknowledged must all be here, once; the index must agree.
            if (!await QuickCheckAsync(data).ConfigureAwait(false))
            {
                integrity++;
            }

            if (await server.CheckAsync("index").ConfigureAwait(false) != "healthy")
            {
                index++;
            }

            if (kill == kills)
            {
                await server.DisposeAsync().ConfigureAwait(false);
                break;
            }

            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var ids = Enumerable.Range(0, 20).Select(_ => FormattableString.Invariant($"t{Interlocked.Increment(ref next)}")).ToList();
                    try
                    {
                        using var response = await server.PostAsync("/v1/ingest", Ingest("crash", ids), stop.Token).ConfigureAwait(false);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            foreach (var id in ids)
                            {
                                acknowledged[id] = 0;
                            }
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
                    {
                        // The process died under the request: not acknowledged.
                    }
                }
            })).ToList();
            await Task.Delay(TimeSpan.FromMilliseconds(300 + random.Next(2700))).ConfigureAwait(false);
            server.Kill();
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(writers).ConfigureAwait(false);
            await server.DisposeAsync().ConfigureAwait(false);
        }

        var stored = await StoredAsync(data, "crash").ConfigureAwait(false);
        var lost = acknowledged.Keys.Count(id => !stored.ContainsKey(id));
        var duplicates = stored.Values.Count(count => count > 1);
        return new CrashResult(kills, acknowledged.Count, lost, duplicates, integrity, index, TimeSpan.FromTicks((long)restarts.Average(r => r.Ticks)));
    }

    private static async Task<(int? ExitCode, string Message)> SecondProcessAsync(string cli, string data)
    {
        var info = Serve.Info(cli, data, FreePort());
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (null, "it did not refuse: it was still running after 60 s");
        }

        var message = (await stderr.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        return (process.ExitCode, message.Replace(data, "<data>", StringComparison.Ordinal));
    }

    private sealed record FaultResult(string Fault, string Seen, string Health, bool Recovered, long Lost);

    private static async Task<IReadOnlyList<FaultResult>> FaultsAsync(string cli, string data)
    {
        var results = new List<FaultResult>();

        // The vector index is derived data: garbage in its files must cost a rebuild, nothing else.
        var before = await CountAsync(data).ConfigureAwait(false);
        var index = Path.Combine(data, "index");
        var random = new Random(5);
        foreach (var file in Directory.Exists(index) ? Directory.GetFiles(index, "*", SearchOption.AllDirectories) : [])
        {
            var garbage = new byte[Math.Max(64, (int)Math.Min(new FileInfo(file).Length, 1 << 20))];
            random.NextBytes(garbage);
            await File.WriteAllBytesAsync(file, garbage).ConfigureAwait(false);
        }

        await using (var server = await Serve.StartAsync(cli, data).ConfigureAwait(false))
        {
            var (status, reason) = await server.CheckDetailAsync("index").ConfigureAwait(false);
            using var search = await server.PostAsync("/v1/search", Search("when is the report due"), CancellationToken.None).ConfigureAwait(false);
            var hits = JsonNode.Parse(await search.Content.ReadAsStringAsync().ConfigureAwait(false))?["hits"]?.AsArray().Count ?? 0;
            results.Add(new FaultResult(
                "vector index files overwritten with random bytes, then serve started",
                FormattableString.Invariant($"serve starts; search answers {(int)search.StatusCode} with {hits} hits"),
                $"index {status}: {reason}",
                search.StatusCode == HttpStatusCode.OK && hits > 0 && status == "healthy",
                before - await CountAsync(data).ConfigureAwait(false)));

            // Another process holds SQLite's write lock for 15 s (longer than the 10 s Mnemo waits).
            before = await CountAsync(data).ConfigureAwait(false);
            await using (var locker = new SqliteConnection($"Data Source={Path.Combine(data, "mnemo.db")};Pooling=False"))
            {
                await locker.OpenAsync().ConfigureAwait(false);
                await using (var exclusive = locker.CreateCommand())
                {
                    exclusive.CommandText = "BEGIN EXCLUSIVE";
                    await exclusive.ExecuteNonQueryAsync().ConfigureAwait(false);
                }

                var clock = Stopwatch.StartNew();
                using var blocked = await server.PostAsync("/v1/ingest", Ingest("locked", ["t900001", "t900002"]), CancellationToken.None).ConfigureAwait(false);
                var waited = clock.Elapsed;
                var answer = await blocked.Content.ReadAsStringAsync().ConfigureAwait(false);
                var (status2, reason2) = await server.CheckDetailAsync("store").ConfigureAwait(false);
                await using (var release = locker.CreateCommand())
                {
                    release.CommandText = "ROLLBACK";
                    await release.ExecuteNonQueryAsync().ConfigureAwait(false);
                }

                using var retried = await server.PostAsync("/v1/ingest", Ingest("locked", ["t900001", "t900002"]), CancellationToken.None).ConfigureAwait(false);
                var stored = await StoredAsync(data, "locked").ConfigureAwait(false);
                results.Add(new FaultResult(
                    "another process holds the database's write lock for 15 s during an ingest",
                    FormattableString.Invariant($"the ingest answers {(int)blocked.StatusCode} after {waited.TotalSeconds:F1} s: {Clip(answer)}"),
                    $"store {status2}: {reason2}",
                    retried.StatusCode == HttpStatusCode.OK && stored.Count == 2,
                    before - (await CountAsync(data).ConfigureAwait(false) - stored.Count)));
            }
        }

        // A backup damaged after it was written must be caught by verify (and so never restored).
        var create = await RunCliAsync(cli, data, "backup", "create").ConfigureAwait(false);
        var backup = Directory.GetFiles(Path.Combine(data, "backups"), "*.tar.gz").OrderBy(f => f, StringComparer.Ordinal).LastOrDefault();
        if (create.ExitCode == 0 && backup is not null)
        {
            await using (var file = new FileStream(backup, FileMode.Open, FileAccess.ReadWrite))
            {
                file.Position = file.Length / 2;
                var b = file.ReadByte();
                file.Position = file.Length / 2;
                file.WriteByte((byte)(b ^ 0xFF));
            }

            var verify = await RunCliAsync(cli, data, "backup", "verify", backup).ConfigureAwait(false);
            var restore = await RunCliAsync(cli, data, "backup", "restore", backup, "--yes").ConfigureAwait(false);
            results.Add(new FaultResult(
                "one byte of a backup flipped after it was written",
                FormattableString.Invariant($"backup verify exits {verify.ExitCode}: {Clip(verify.Output)}; restore exits {restore.ExitCode} and changes nothing"),
                "-",
                verify.ExitCode != 0 && restore.ExitCode != 0,
                0));
        }
        else
        {
            results.Add(new FaultResult("one byte of a backup flipped after it was written", $"the backup could not be made: {Clip(create.Output)}", "-", false, 0));
        }

        return results;
    }

    private static async Task<(int ExitCode, string Output)> RunCliAsync(string cli, string data, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(cli);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(data);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        // What the user reads: the program's own "mnemo: ..." lines, not the log lines around them.
        var lines = (await stderr.ConfigureAwait(false) + "\n" + await stdout.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var said = lines.Where(l => l.StartsWith("mnemo:", StringComparison.Ordinal) || l.StartsWith('-')).ToList();
        return (process.ExitCode, string.Join(" ", said.Count > 0 ? said : lines).Replace(data, "<data>", StringComparison.Ordinal));
    }

    private static string Clip(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 220 ? line : string.Concat(line.AsSpan(0, 220), "…");
    }

    private sealed record Latencies(int Requests, int Errors, double P50, double P95, double P99, double Throughput);

    private static async Task<Latencies> SearchWhileIngestingAsync(Serve server, TimeSpan duration)
    {
        using var stop = new CancellationTokenSource(duration);
        var times = new ConcurrentBag<double>();
        var errors = 0;
        var writer = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var ids = Enumerable.Range(0, 20).Select(_ => FormattableString.Invariant($"r{n++}")).ToList();
                try
                {
                    using var response = await server.PostAsync("/v1/ingest", Ingest("race", ids), CancellationToken.None).ConfigureAwait(false);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        });
        var readers = Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
        {
            var queries = Queries();
            var k = i;
            while (!stop.IsCancellationRequested)
            {
                var (ok, ms) = await TimedAsync(server, "/v1/search", Search(queries[k++ % queries.Length])).ConfigureAwait(false);
                times.Add(ms);
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })).ToList();
        await Task.WhenAll(readers.Append(writer)).ConfigureAwait(false);
        return Summarize([.. times], errors, duration);
    }

    private static async Task<Latencies> SteadyLoadAsync(Serve server, string route, TimeSpan duration, int perSecond)
    {
        var queries = Queries();
        var times = new ConcurrentBag<double>();
        var errors = 0;
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        var interval = TimeSpan.FromSeconds(1.0 / perSecond);
        for (var i = 0; clock.Elapsed < duration; i++)
        {
            var due = interval * i;
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed).ConfigureAwait(false);
            }

            var query = queries[i % queries.Length];
            var body = route == "/v1/search" ? Search(query) : Context(query, i);
            inFlight.Add(Task.Run(async () =>
            {
                var (ok, ms) = await TimedAsync(server, route, body).ConfigureAwait(false);
                times.Add(ms);
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }
            }));
        }

        await Task.WhenAll(inFlight).ConfigureAwait(false);
        return Summarize([.. times], errors, clock.Elapsed);
    }

    private sealed record FuzzResult(int Tried, int ClientErrors, int ServerErrors, int CutShort, int Hangs);

    /// <summary>Valid bodies of the JSON routes, mutated; the answer must never be a 5xx or nothing.</summary>
    private static async Task<FuzzResult> FuzzApiAsync(Serve server, int count)
    {
        (string Route, string Body)[] seeds =
        [
            ("/v1/ingest", Ingest("fuzz", ["t1", "t2"])),
            ("/v1/search", """{"query":"kitchen colour","k":5,"agent":"reliability","since":"2026-01-01T00:00:00Z"}"""),
            ("/v1/context", """{"agentId":"reliability","sessionId":"s","prompt":"what colour","messages":["a","b"],"tokenBudget":500}"""),
            ("/v1/remember", """{"agent":"reliability","text":"the spare key is under the pot"}"""),
            ("/v1/forget", """{"ids":[999999999],"dryRun":true}"""),
            ("/v1/feedback", """{"target":"memory","targetId":1,"rating":"up","user":"fuzz","channel":"api"}"""),
            ("/v1/events/after_compaction", """{"sessionKey":"agent:reliability:main","sessionId":"s","tokensBefore":1000}"""),
        ];
        string[] extremes =
        [
            new string('[', 100_000) + new string(']', 100_000),
            "{\"query\":\"" + new string('x', 2_000_000) + "\"}",
            "{\"turns\":[{\"agent\":\"../../etc\",\"session\":\"..%2F..\",\"id\":\"\\u0000\",\"role\":\"user\",\"text\":\"x\"}]}",
            "{\"ids\":[\"1; DROP TABLE memories\"]}",
            "{\"query\":123,\"k\":\"ten\"}",
            "null", "[]", "\"\"", "{}", "{\"query\":null}",
        ];
        var random = new Random(11);
        var (client, serverErrors, cut, hangs) = (0, 0, 0, 0);
        using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Serve.BearerToken);
        for (var i = 0; i < count; i++)
        {
            var (route, body) = seeds[random.Next(seeds.Length)];
            byte[] bytes;
            if (i % 50 == 0)
            {
                bytes = Encoding.UTF8.GetBytes(extremes[(i / 50) % extremes.Length]);
            }
            else
            {
                bytes = Encoding.UTF8.GetBytes(body);
                var at = random.Next(Math.Max(1, bytes.Length));
                bytes = (i % 4) switch
                {
                    0 => [.. bytes[..at], .. Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256)), .. bytes[at..]],
                    1 => bytes[..at],
                    2 => [.. bytes.Select((b, j) => j % 11 == at % 11 ? (byte)(b ^ 0x80) : b)],
                    _ => [.. bytes, .. bytes],
                };
            }

            if (i % 97 == 0)
            {
                route = $"/v1/memories/{Uri.EscapeDataString("../../etc/passwd")}";
            }

            try
            {
                using var content = new ByteArrayContent(bytes);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = route.StartsWith("/v1/memories/", StringComparison.Ordinal)
                    ? await http.GetAsync(new Uri(route, UriKind.Relative)).ConfigureAwait(false)
                    : await http.PostAsync(new Uri(route, UriKind.Relative), content).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status >= 500)
                {
                    serverErrors++;
                    Console.Error.WriteLine($"fuzz: {route} answered {status} to {Encoding.UTF8.GetString(bytes[..Math.Min(200, bytes.Length)])}");
                }
                else if (status >= 400)
                {
                    client++;
                }
            }
            catch (TaskCanceledException)
            {
                hangs++;
            }
            catch (HttpRequestException ex)
            {
                // The server may stop reading a body over the size limit; it must still answer the next one.
                cut++;
                Console.Error.WriteLine($"fuzz: {route}: {ex.Message}");
            }
        }

        return new FuzzResult(count, client, serverErrors, cut, hangs);
    }

    private static async Task<(bool Ok, double Milliseconds)> TimedAsync(Serve server, string route, string body)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await server.PostAsync(route, body, CancellationToken.None).ConfigureAwait(false);
            await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            return (response.StatusCode == HttpStatusCode.OK, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (HttpRequestException)
        {
            return (false, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private static Latencies Summarize(double[] times, int errors, TimeSpan duration)
    {
        Array.Sort(times);
        double At(double q) => times.Length == 0 ? 0 : times[Math.Min(times.Length - 1, (int)Math.Ceiling(q * times.Length) - 1)];
        return new Latencies(times.Length, errors, At(0.50), At(0.95), At(0.99), times.Length / duration.TotalSeconds);
    }

    private static string[] Queries() =>
    [
        "what colour should the kitchen be", "when does the ferry leave", "who is coming on Thursday", "what did we decide about the budget",
        "where are the spare keys", "which book was recommended", "when is the report due", "what is the wifi password for guests",
    ];

    private static string Ingest(string session, IReadOnlyList<string> ids)
    {
        var topics = Queries();
        var turns = new JsonArray();
        foreach (var id in ids)
        {
            var n = int.Parse(id.AsSpan(1), CultureInfo.InvariantCulture);
            turns.Add(new JsonObject
            {
                ["agent"] = Agent,
                ["session"] = session,
                ["id"] = id,
                ["role"] = n % 2 == 0 ? "user" : "assistant",
                ["text"] = FormattableString.Invariant($"Note {id}: about '{topics[n % topics.Length]}', the answer this time is item {n * 7 % 1000} on shelf {n % 13}."),
                ["timestamp"] = DateTimeOffset.UtcNow.AddMinutes(-n % 10_000).ToString("O", CultureInfo.InvariantCulture),
            });
        }

        return new JsonObject { ["turns"] = turns }.ToJsonString();
    }

    private static string Search(string query) => new JsonObject { ["query"] = query, ["k"] = 10 }.ToJsonString();

    private static string Context(string query, int i) =>
        new JsonObject { ["agentId"] = Agent, ["sessionId"] = FormattableString.Invariant($"load-{i % 5}"), ["prompt"] = query }.ToJsonString();

    private static async Task<bool> QuickCheckAsync(string data)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "mnemo.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check";
        return (string?)await command.ExecuteScalarAsync().ConfigureAwait(false) == "ok";
    }

    private static async Task<long> CountAsync(string data)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "mnemo.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM memories";
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    private static async Task<Dictionary<string, int>> StoredAsync(string data, string session)
    {
        var stored = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "mnemo.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT entry_id, COUNT(*) FROM memories WHERE agent = $agent AND session = $session AND chunk = 0 GROUP BY entry_id";
        command.Parameters.AddWithValue("$agent", Agent);
        command.Parameters.AddWithValue("$session", session);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            stored[reader.GetString(0)] = reader.GetInt32(1);
        }

        return stored;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One <c>mnemo serve</c> process on loopback, with its token.</summary>
    private sealed class Serve : IAsyncDisposable
    {
        private static readonly string Token = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        private readonly Process _process;
        private readonly HttpClient _http;

        private Serve(Process process, HttpClient http)
        {
            _process = process;
            _http = http;
        }

        public long Memories { get; private set; }

        public Uri Address => _http.BaseAddress!;

        public static string BearerToken => Token;

        public static ProcessStartInfo Info(string cli, string data, int port)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { cli, "serve", "--data-dir", data, "--urls", FormattableString.Invariant($"http://127.0.0.1:{port}") })
            {
                info.ArgumentList.Add(argument);
            }

            info.Environment["MNEMO_Auth__Token"] = Token;
            info.Environment["MNEMO_OpenClaw__Follow"] = "false";
            info.Environment["MNEMO_Schedule__Enabled"] = "false";
            info.Environment["MNEMO_Voice__Watch"] = "false";
            return info;
        }

        /// <summary>Every line every serve process wrote, stdout and stderr.</summary>
        public static ConcurrentBag<string> Output { get; } = [];

        public static async Task<Serve> StartAsync(string cli, string data)
        {
            var port = FreePort();
            var process = new Process { StartInfo = Info(cli, data, port) };
            process.OutputDataReceived += (_, line) => Output.Add(line.Data ?? string.Empty);
            process.ErrorDataReceived += (_, line) => Output.Add(line.Data ?? string.Empty);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var http = new HttpClient { BaseAddress = new Uri(FormattableString.Invariant($"http://127.0.0.1:{port}")), Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            var serve = new Serve(process, http);
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"mnemo serve exited with {process.ExitCode} at start");
                }

                try
                {
                    using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative)).ConfigureAwait(false);
                    if (ready.StatusCode == HttpStatusCode.OK)
                    {
                        serve.Memories = await CountAsync(data).ConfigureAwait(false);
                        return serve;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(200).ConfigureAwait(false);
            }

            throw new TimeoutException("mnemo serve was not ready within 120 s");
        }

        public Task<HttpResponseMessage> PostAsync(string route, string json, CancellationToken cancellationToken) =>
            _http.PostAsync(new Uri(route, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"), cancellationToken);

        /// <summary>The state of one of health's checks (<c>healthy</c>, <c>degraded</c>, ...).</summary>
        public async Task<string?> CheckAsync(string name) => (await CheckDetailAsync(name).ConfigureAwait(false)).Status;

        /// <summary>The state of one of health's checks and what it says.</summary>
        public async Task<(string? Status, string? Reason)> CheckDetailAsync(string name)
        {
            using var response = await _http.GetAsync(new Uri("/health", UriKind.Relative)).ConfigureAwait(false);
            var checks = JsonNode.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false))?["checks"]?.AsArray();
            var check = checks?.FirstOrDefault(c => (string?)c?["name"] == name);
            return (check?["status"]?.GetValue<string>(), check?["reason"]?.GetValue<string>());
        }

        public void Kill() => _process.Kill(entireProcessTree: true);

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().ConfigureAwait(false);
            _process.Dispose();
            _http.Dispose();
        }
    }
}
