using System.Globalization;
using System.Text.Json;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Cli;

/// <summary><c>mnemo schedule</c> and <c>mnemo run</c> as a user (or cron) runs them.</summary>
public sealed class ScheduleCliTests
{
    [Fact]
    public async Task Schedule_ListsTheJobs_AndCrontabCallsMnemoRun()
    {
        using var dir = new TempDirectory();

        var (code, stdout, stderr) = await CliProcess.RunAsync(dir.Path, "schedule", "--json");
        var (crontabCode, crontab, _) = await CliProcess.RunAsync(dir.Path, "schedule", "--crontab");

        Assert.True(code == 0, stderr);
        var jobs = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToDictionary(j => j.GetProperty("name").GetString()!);
        Assert.Equal("0 8-22 * * *", jobs["hourly-summary"].GetProperty("cron").GetString());
        Assert.Equal("0 22 * * 0", jobs["weekly-synthesis"].GetProperty("cron").GetString());
        Assert.True(jobs["daily-sync"].GetProperty("nextRun").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.True(jobs["voice-sweep"].GetProperty("available").GetBoolean());
        Assert.True(jobs["backup"].GetProperty("available").GetBoolean());
        Assert.Equal(0, crontabCode);
        var lines = crontab.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("0 21 * * * ", StringComparison.Ordinal) && l.EndsWith($"--data-dir {dir.Path} run daily-sync", StringComparison.Ordinal));
        Assert.Equal(8, lines.Count(l => !l.StartsWith('#') && l.Contains(" run ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("0 2 * * * ", StringComparison.Ordinal) && l.EndsWith(" run backup", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_WritesTheDigest_RecordsTheRun_AndRefusesAnUnknownJob()
    {
        using var dir = new TempDirectory();
        var at = DateTimeOffset.UtcNow.AddHours(-2).ToString("o", CultureInfo.InvariantCulture);
        var log = dir.File("chat.jsonl");
        File.WriteAllLines(log,
        [
            $$"""{"role":"user","content":"We decided the garden shed gets a green roof.","timestamp":"{{at}}","session":"g1","agent":"home"}""",
            $$"""{"role":"assistant","content":"Green roof it is; the order number is GR-2291.","timestamp":"{{at}}","session":"g1","agent":"home"}""",
        ]);
        var data = dir.File("data");
        await CliProcess.RunAsync(data, "ingest", log, "--format", "chat-jsonl");

        // Nothing serves at this address, so the job runs in the command's own process.
        var noServe = new Dictionary<string, string> { ["MNEMO_Server__Urls"] = "http://127.0.0.1:1" };
        var (code, stdout, stderr) = await CliProcess.RunAsync(data, noServe, "run", "hourly-summary", "--json");
        var (listCode, list, _) = await CliProcess.RunAsync(data, "schedule", "--json");
        var (unknownCode, _, unknownError) = await CliProcess.RunAsync(data, noServe, "run", "hourly-sumary");
        var (digestsCode, digests, _) = await CliProcess.RunAsync(data, "digests", "--kind", "hourly");
        var (signalsCode, signals, _) = await CliProcess.RunAsync(data, "signals", "--json");
        var (badKindCode, _, badKind) = await CliProcess.RunAsync(data, "digests", "--kind", "monthly");

        Assert.True(code == 0, stderr);
        var run = JsonDocument.Parse(stdout).RootElement;
        Assert.True(run.GetProperty("succeeded").GetBoolean());
        Assert.Equal("here", run.GetProperty("where").GetString());
        Assert.StartsWith("1 hourly digests written", run.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, listCode);
        var hourly = JsonDocument.Parse(list).RootElement.EnumerateArray().Single(j => j.GetProperty("name").GetString() == "hourly-summary");
        Assert.Equal("succeeded", hourly.GetProperty("lastOutcome").GetString());
        Assert.Equal(1, unknownCode);
        Assert.Contains("no job 'hourly-sumary'", unknownError, StringComparison.Ordinal);
        Assert.Equal(0, digestsCode);
        Assert.Contains("GR-2291", digests, StringComparison.Ordinal);
        Assert.Contains("Mnemo hourly summary · home", digests, StringComparison.Ordinal);
        Assert.Equal(0, signalsCode);
        Assert.Equal(System.Text.Json.JsonValueKind.Array, JsonDocument.Parse(signals).RootElement.GetProperty("signals").ValueKind);
        Assert.Equal(1, badKindCode);
        Assert.Contains("--kind", badKind, StringComparison.Ordinal);
    }
}
