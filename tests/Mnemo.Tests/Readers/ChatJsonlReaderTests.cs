using Mnemo.Readers;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Readers;

public sealed class ChatJsonlReaderTests
{
    [Fact]
    public async Task ReadAsync_PlainChatLog_UsesItsFieldsAndReportsEntriesWithoutRole()
    {
        using var dir = new TempDirectory();
        var path = dir.File("chat.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            """{"role":"user","content":"my flight is LH 454","timestamp":"2026-01-02T10:00:00Z","session":"trip","agent":"travel"}""",
            """{"content":"no role here"}""",
            """{"role":"assistant","content":"Noted: LH 454.","timestamp":1767348060000}""",
        ]);

        var (turns, issues, _) = await Items.ReadAllAsync(new ChatJsonlReader(), path);

        Assert.Equal(2, turns.Count);
        Assert.Equal(("travel", "trip", "user"), (turns[0].Agent, turns[0].Session, turns[0].Role));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 10, 0, 0, TimeSpan.Zero), turns[0].Timestamp);
        Assert.Equal(("default", "chat"), (turns[1].Agent, turns[1].Session));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1767348060000), turns[1].Timestamp);
        var issue = Assert.Single(issues);
        Assert.Equal(2, issue.Line);
        Assert.Contains("\"role\"", issue.Message, StringComparison.Ordinal);
    }
}
