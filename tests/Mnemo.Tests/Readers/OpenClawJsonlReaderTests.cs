using System.Text;
using Mnemo.Readers;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Readers;

public sealed class OpenClawJsonlReaderTests
{
    [Fact]
    public async Task ReadAsync_RealTranscript_YieldsMessagesWithoutSilentOrEmptyTurns()
    {
        var (turns, issues, cursor) = await Items.ReadAllAsync(new OpenClawJsonlReader(), SharedData.TicketTranscript);

        Assert.Empty(issues);
        Assert.NotNull(cursor);
        var first = turns[0];
        Assert.Equal("user", first.Role);
        Assert.Equal("Hello! My favourite colour is teal and my ticket is ABC-123.", first.Text);
        Assert.Equal("main", first.Agent);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 23, 41, TimeSpan.Zero), first.Timestamp!.Value.AddTicks(-(first.Timestamp.Value.Ticks % TimeSpan.TicksPerSecond)));
        Assert.Contains(turns, t => t.Role == "tool" && t.Provenance.Tool == "memory_search");
        Assert.DoesNotContain(turns, t => string.IsNullOrWhiteSpace(t.Text));
        Assert.DoesNotContain(turns, t => t.Text.Contains("\"type\":\"compaction\"", StringComparison.Ordinal));
        Assert.Equal(turns.Count, turns.Select(t => t.EntryId).Distinct().Count());
    }

    [Fact]
    public async Task ReadAsync_WebhookRun_MarksExternalContentUntrustedAndDropsTheSecurityNotice()
    {
        var (turns, _, _) = await Items.ReadAllAsync(new OpenClawJsonlReader(), SharedData.WebhookTranscript);

        var webhook = Assert.Single(turns, t => t.Role == "user");
        Assert.True(webhook.Provenance.Untrusted);
        Assert.Contains("Summarize: the nightly backup completed.", webhook.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("SECURITY NOTICE", webhook.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("EXTERNAL_UNTRUSTED_CONTENT", webhook.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_AgentDirectoryLayout_TakesAgentAndSessionFromThePath()
    {
        using var dir = new TempDirectory();
        var sessions = Directory.CreateDirectory(Path.Combine(dir.Path, "agents", "work", "sessions"));
        var path = Path.Combine(sessions.FullName, "abc-123.jsonl");
        File.Copy(SharedData.TicketTranscript, path);

        var (turns, _, _) = await Items.ReadAllAsync(new OpenClawJsonlReader(), path);

        Assert.All(turns, t => Assert.Equal("work", t.Agent));
        Assert.All(turns, t => Assert.Equal("abc-123", t.Session));
    }

    [Fact]
    public async Task ReadAsync_DamagedLines_ReportsEachWithItsLineAndKeepsTheRest()
    {
        using var dir = new TempDirectory();
        var path = dir.File("damaged.jsonl");
        await using (var stream = File.Create(path))
        {
            await stream.WriteAsync(Line("m1", "first good line"));
            await stream.WriteAsync("{ this is not json\n"u8.ToArray());
            await stream.WriteAsync(Line("m2", "second good line"));
            await stream.WriteAsync(Encoding.UTF8.GetBytes("{\"type\":\"message\",\"id\":\"bad\",\"message\":{\"role\":\"user\",\"content\":\"caf").Concat(new byte[] { 0xC3, 0x28 }).Concat("\"}}\n"u8.ToArray()).ToArray());
            await stream.WriteAsync(Line("m3", "third good line"));
            await stream.WriteAsync("{\"type\":\"message\",\"id\":\"cut\",\"message\":{\"role\":\"user\",\"con"u8.ToArray());
        }

        var (turns, issues, _) = await Items.ReadAllAsync(new OpenClawJsonlReader(), path);

        Assert.Equal(["first good line", "second good line", "third good line"], turns.Select(t => t.Text));
        Assert.Collection(
            issues,
            i => Assert.True(i.Line == 2 && i.Message.Contains("malformed JSON", StringComparison.Ordinal)),
            i => Assert.True(i.Line == 4 && i.Message.Contains("invalid UTF-8", StringComparison.Ordinal)),
            i => Assert.True(i.Line == 6 && i.Message.Contains("truncated", StringComparison.Ordinal)));
        Assert.All(issues, i => Assert.Equal(path, i.Source));
    }

    [Fact]
    public async Task ReadAsync_HugeLine_IsSkippedWithoutLoadingItAndReadingGoesOn()
    {
        using var dir = new TempDirectory();
        var path = dir.File("huge.jsonl");
        await using (var stream = File.Create(path))
        {
            await stream.WriteAsync(Line("m1", "before the huge line"));
            var huge = new byte[50 * 1024 * 1024];
            Array.Fill(huge, (byte)'x');
            await stream.WriteAsync(huge);
            await stream.WriteAsync("\n"u8.ToArray());
            await stream.WriteAsync(Line("m2", "after the huge line"));
        }

        var (turns, issues, _) = await Items.ReadAllAsync(new OpenClawJsonlReader(), path);

        Assert.Equal(["before the huge line", "after the huge line"], turns.Select(t => t.Text));
        var issue = Assert.Single(issues);
        Assert.Equal(2, issue.Line);
        Assert.Contains("longer than", issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_FromCursor_ReadsOnlyWhatWasAppended()
    {
        using var dir = new TempDirectory();
        var path = dir.File("grow.jsonl");
        await File.WriteAllBytesAsync(path, Line("m1", "one").Concat(Line("m2", "two")).ToArray());
        var (first, _, cursor) = await Items.ReadAllAsync(new OpenClawJsonlReader(), path);
        await using (var stream = new FileStream(path, FileMode.Append))
        {
            await stream.WriteAsync(Line("m3", "three"));
        }

        var (second, _, _) = await Items.ReadAllAsync(new OpenClawJsonlReader(), path, cursor);

        Assert.Equal(2, first.Count);
        Assert.Equal("three", Assert.Single(second).Text);
        Assert.Equal(3, second[0].Sequence);
    }

    internal static byte[] Line(string id, string text) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"message\",\"id\":\"{id}\",\"parentId\":null,\"timestamp\":\"2026-11-25T00:00:00.000Z\",\"message\":{{\"role\":\"user\",\"content\":\"{text}\"}}}}\n");
}
