using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Cli;

public sealed class ServeAndEvalTests
{
    [Fact]
    public async Task Serve_FollowsTheOpenClawDirectory_PicksUpNewAgentsAndAppendedTurns()
    {
        using var dir = new TempDirectory();
        var openClaw = dir.File("openclaw");
        Directory.CreateDirectory(openClaw);
        var data = dir.File("data");
        var database = Path.Combine(data, "mnemo.db");
        using var process = Process.Start(CliProcess.StartInfo(data, "serve", "--openclaw-dir", openClaw, "--poll", "0.5", "--urls", "http://127.0.0.1:0"))!;
        try
        {
            var sessions = Directory.CreateDirectory(Path.Combine(openClaw, "agents", "family", "sessions"));
            var transcript = Path.Combine(sessions.FullName, "s1.jsonl");
            File.Copy(SharedData.TicketTranscript, transcript);
            var first = await WaitForAsync(database, "SELECT COUNT(*) FROM memories WHERE agent = 'family'", n => n > 5);

            await File.AppendAllTextAsync(transcript, "{\"type\":\"message\",\"id\":\"late-1\",\"parentId\":null,\"timestamp\":\"2026-11-25T01:00:00.000Z\",\"message\":{\"role\":\"user\",\"content\":\"The spare key is under the blue pot.\"}}\n");
            var second = await WaitForAsync(database, "SELECT COUNT(*) FROM memories WHERE entry_id = 'late-1'", n => n == 1);

            Assert.True(first > 5);
            Assert.Equal(1, second);
            Assert.False(process.HasExited, "serve stopped on its own");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Eval_LongMemEvalFile_ReportsSessionRecallPerQuestionType()
    {
        using var dir = new TempDirectory();
        var path = dir.File("longmemeval_s.json");
        await File.WriteAllTextAsync(path, """
            [
              {"question_id":"q1","question_type":"single-session-user","question":"Which floor did I park on?","question_date":"2023/05/30 (Tue) 10:00","answer":"3",
               "answer_session_ids":["answer_1"],"haystack_session_ids":["noise_a","answer_1","noise_b"],
               "haystack_dates":["2023/05/20 (Sat) 00:31","2023/05/21 (Sun) 09:15","2023/05/22 (Mon) 12:00"],
               "haystack_sessions":[[{"role":"user","content":"I love green tea in the morning."}],
                                    [{"role":"user","content":"I parked the car on floor 3 of the garage.","has_answer":true},{"role":"assistant","content":"Noted, floor 3."}],
                                    [{"role":"user","content":"Recommend a sci-fi novel please."}]]},
              {"question_id":"q2","question_type":"temporal-reasoning","question":"What did I say about my dentist appointment?","question_date":"2023/06/01 (Thu) 10:00","answer":"Friday",
               "answer_session_ids":["answer_2"],"haystack_session_ids":["answer_2","noise_c"],
               "haystack_dates":["2023/05/25 (Thu) 08:00","2023/05/26 (Fri) 08:00"],
               "haystack_sessions":[[{"role":"user","content":"My dentist appointment moved to Friday.","has_answer":true}],
                                    [{"role":"user","content":"The weather is lovely."}]]}
            ]
            """);

        var (code, stdout, stderr) = await CliProcess.RunAsync(dir.File("data"), "eval", path, "--json", "--k", "1,5");

        Assert.True(code == 0, stderr);
        using var report = JsonDocument.Parse(stdout);
        var root = report.RootElement;
        Assert.Equal(2, root.GetProperty("questions").GetInt32());
        Assert.Equal(1.0, root.GetProperty("recall").GetProperty("5").GetDouble());
        Assert.True(root.GetProperty("byCategory").TryGetProperty("temporal-reasoning", out _));
        Assert.True(root.GetProperty("queryP95Ms").GetDouble() > 0);
        Assert.True(root.GetProperty("ingestSeconds").GetDouble() > 0);
        Assert.False(Directory.Exists(dir.File("data")), "eval must not touch the user's data directory");
    }

    private static async Task<long> WaitForAsync(string database, string sql, Func<long, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long value = 0;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(database))
            {
                try
                {
                    using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
                    connection.Open();
                    using var command = connection.CreateCommand();
                    command.CommandText = sql;
                    value = (long)command.ExecuteScalar()!;
                    if (done(value))
                    {
                        return value;
                    }
                }
                catch (SqliteException)
                {
                    // Not created yet.
                }
            }

            await Task.Delay(200);
        }

        return value;
    }
}
