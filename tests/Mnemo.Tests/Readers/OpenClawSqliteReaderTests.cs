using System.Text;
using Mnemo.Readers;
using Mnemo.Tests.Support;
using ZstdSharp;

namespace Mnemo.Tests.Readers;

public sealed class OpenClawSqliteReaderTests
{
    [Fact]
    public async Task ReadAsync_AgentDatabaseWithCompressedRows_ReadsTheSameTurnsAsTheJsonl()
    {
        using var dir = new TempDirectory();
        var db = new OpenClawAgentDatabase(Path.Combine(dir.Path, "agents", "home", "agent", "openclaw-agent.sqlite"), "home");
        db.ImportTranscript("fa6406af", SharedData.TicketTranscript);

        var (fromDb, issues, _) = await Items.ReadAllAsync(new OpenClawSqliteReader(), db.Path);
        var (fromJsonl, _, _) = await Items.ReadAllAsync(new OpenClawJsonlReader(), SharedData.TicketTranscript);

        Assert.Empty(issues);
        Assert.Equal(fromJsonl.Select(t => (t.EntryId, t.Role, t.Text)), fromDb.Select(t => (t.EntryId, t.Role, t.Text)));
        Assert.All(fromDb, t => Assert.Equal(("home", "fa6406af"), (t.Agent, t.Session)));
        Assert.True(db.CompressedRows() >= 3, "the fixture must exercise compressed rows");
    }

    [Fact]
    public async Task ReadAsync_FromCursor_ReadsOnlyNewRowsPerSession()
    {
        using var dir = new TempDirectory();
        var db = new OpenClawAgentDatabase(dir.File("openclaw-agent.sqlite"), "main");
        db.Add("s1", 1, Event("a", "first"), compress: false);
        db.Add("s2", 1, Event("b", "other session"), compress: true);
        var (_, _, cursor) = await Items.ReadAllAsync(new OpenClawSqliteReader(), db.Path);
        db.Add("s1", 2, Event("c", "second"), compress: false);

        var (turns, _, _) = await Items.ReadAllAsync(new OpenClawSqliteReader(), db.Path, cursor);

        Assert.Equal("second", Assert.Single(turns).Text);
    }

    [Fact]
    public async Task ReadAsync_UnknownSchemaVersion_SaysSoAndReadsNothing()
    {
        using var dir = new TempDirectory();
        var db = new OpenClawAgentDatabase(dir.File("openclaw-agent.sqlite"), "main", schemaVersion: 99);
        db.Add("s1", 1, Event("a", "hidden"), compress: false);

        var (turns, issues, _) = await Items.ReadAllAsync(new OpenClawSqliteReader(), db.Path);

        Assert.Empty(turns);
        var issue = Assert.Single(issues);
        Assert.Contains("schema version 99", issue.Message, StringComparison.Ordinal);
        Assert.Equal(db.Path, issue.Source);
    }

    [Fact]
    public async Task ReadAsync_ColumnRenamedUnderneath_IsAnIssueNamingTheFile_NotAnException()
    {
        using var dir = new TempDirectory();
        var db = new OpenClawAgentDatabase(dir.File("openclaw-agent.sqlite"), "main");
        db.Add("s1", 1, Event("a", "first"), compress: false);
        var (_, _, cursor) = await Items.ReadAllAsync(new OpenClawSqliteReader(), db.Path);
        db.Add("s1", 2, Event("b", "second"), compress: false);
        Alter(db.Path, "ALTER TABLE transcript_events RENAME COLUMN event_json TO event_text");

        var (turns, issues, after) = await Items.ReadAllAsync(new OpenClawSqliteReader(), db.Path, cursor);

        Assert.Empty(turns);
        var issue = Assert.Single(issues);
        Assert.Equal(db.Path, issue.Source);
        Assert.Null(issue.Line);
        Assert.Contains("changed underneath", issue.Message, StringComparison.Ordinal);
        Assert.Contains("event_json", issue.Message, StringComparison.Ordinal);
        Assert.Null(after); // the cursor stays where it was
    }

    [Fact]
    public async Task ReadAsync_TableRenamedUnderneath_SaysWhichTableIsMissing()
    {
        using var dir = new TempDirectory();
        var db = new OpenClawAgentDatabase(dir.File("openclaw-agent.sqlite"), "main");
        db.Add("s1", 1, Event("a", "first"), compress: false);
        Alter(db.Path, "ALTER TABLE transcript_events RENAME TO transcript_events_v2");

        var (turns, issues, _) = await Items.ReadAllAsync(new OpenClawSqliteReader(), db.Path);

        Assert.Empty(turns);
        var issue = Assert.Single(issues);
        Assert.Equal(db.Path, issue.Source);
        Assert.Contains("without a transcript_events table", issue.Message, StringComparison.Ordinal);
    }

    private static void Alter(string path, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public async Task ReadAsync_CorruptOrBombRows_AreSkippedAndTheRestIsRead()
    {
        using var dir = new TempDirectory();
        var db = new OpenClawAgentDatabase(dir.File("openclaw-agent.sqlite"), "main");
        db.Add("s1", 1, Event("a", "before"), compress: false);
        db.AddRaw("s1", 2, [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x01, 0x02]);
        using (var compressor = new Compressor(19))
        {
            db.AddRaw("s1", 3, compressor.Wrap(new byte[64 * 1024 * 1024]).ToArray());
        }

        db.Add("s1", 4, Event("d", "after"), compress: true);

        var (turns, issues, _) = await Items.ReadAllAsync(new OpenClawSqliteReader(), db.Path);

        Assert.Equal(["before", "after"], turns.Select(t => t.Text));
        Assert.Equal([2L, 3L], issues.Select(i => i.Line!.Value));
    }

    [Fact]
    public async Task ReadAsync_NotADatabase_IsReportedNotThrown()
    {
        using var dir = new TempDirectory();
        var path = dir.File("openclaw-agent.sqlite");
        await File.WriteAllTextAsync(path, "definitely not sqlite", Encoding.UTF8);

        var (turns, issues, _) = await Items.ReadAllAsync(new OpenClawSqliteReader(), path);

        Assert.Empty(turns);
        Assert.Single(issues);
    }

    private static string Event(string id, string text) =>
        $"{{\"type\":\"message\",\"id\":\"{id}\",\"parentId\":null,\"timestamp\":\"2026-11-25T00:00:00.000Z\",\"message\":{{\"role\":\"user\",\"content\":\"{text}\"}}}}";
}
