using Mnemo.Datasets;
using Mnemo.Domain;
using Mnemo.Readers;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Readers;

public sealed class DatasetTests
{
    [Fact]
    public void LocomoLoad_RealBenchmark_ReadsEveryConversationWithDatesCaptionsAndEvidence()
    {
        var issues = new List<ReadIssue>();

        var conversations = LocomoDataset.Load(SharedData.Locomo, null, issues);

        Assert.Empty(issues);
        Assert.Equal(10, conversations.Count);
        Assert.Equal(1982, conversations.Sum(c => c.Questions.Count(q => q.Evidence.Count > 0)));
        var first = conversations[0].Turns[0];
        Assert.Equal(("D1:1", "Caroline", "session_1"), (first.EntryId, first.Role, first.Session));
        Assert.Equal(new DateTime(2023, 5, 8, 13, 56, 1, DateTimeKind.Utc), first.Timestamp!.Value.UtcDateTime);
        Assert.Contains(conversations.SelectMany(c => c.Turns), t => t.Text.Contains("[shares a photo:", StringComparison.Ordinal));
        var allIds = conversations.SelectMany(c => c.Turns).Select(t => t.EntryId).ToHashSet();
        Assert.All(conversations.SelectMany(c => c.Questions).SelectMany(q => q.Evidence), e => Assert.Matches(@"^D\d+:\d+$", e));
        Assert.True(conversations.SelectMany(c => c.Questions).SelectMany(q => q.Evidence).Count(allIds.Contains) > 2000);
    }

    [Fact]
    public void LongMemEvalLoad_GoldLabelsBecomeEvidenceNeverText()
    {
        using var dir = new TempDirectory();
        var path = dir.File("lme.json");
        File.WriteAllText(path, """
            [{"question_id":"q1","question_type":"single-session-user","question":"Where did I park?","question_date":"2023/05/30 (Tue) 10:00","answer":"Level 3",
              "answer_session_ids":["answer_abc"],"haystack_session_ids":["noise_1","answer_abc"],"haystack_dates":["2023/05/20 (Sat) 00:31","2023/05/21 (Sun) 09:15"],
              "haystack_sessions":[[{"role":"user","content":"I like tea"}],[{"role":"user","content":"I parked on level 3","has_answer":true},{"role":"assistant","content":"Got it"}]]}]
            """);
        var issues = new List<ReadIssue>();

        var conversation = Assert.Single(LongMemEvalDataset.Load(path, issues));

        var question = Assert.Single(conversation.Questions);
        Assert.True(question.EvidenceIsSession);
        Assert.Equal(["s2"], question.Evidence);
        Assert.Equal("single-session-user", question.Category);
        Assert.Equal(new DateTimeOffset(2023, 5, 30, 10, 0, 0, TimeSpan.Zero), question.At);
        Assert.DoesNotContain(conversation.Turns, t => t.Session.Contains("answer", StringComparison.Ordinal) || t.Text.Contains("has_answer", StringComparison.Ordinal));
        Assert.Equal(new DateTimeOffset(2023, 5, 21, 9, 15, 1, TimeSpan.Zero), conversation.Turns.Single(t => t.Text == "I parked on level 3").Timestamp);
    }

    [Fact]
    public void Detect_KnowsEachFormatByItsContent()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("a.json"), """[{"question_id":"q","haystack_session_ids":[],"haystack_sessions":[]}]""");
        File.WriteAllText(dir.File("b.jsonl"), """{"role":"user","content":"hi"}""");
        File.WriteAllText(dir.File("c.txt"), "nothing");

        Assert.Equal("locomo", SourceDiscovery.Detect(SharedData.Locomo));
        Assert.Equal("openclaw", SourceDiscovery.Detect(SharedData.TicketTranscript));
        Assert.Equal("longmemeval", SourceDiscovery.Detect(dir.File("a.json")));
        Assert.Equal("chat-jsonl", SourceDiscovery.Detect(dir.File("b.jsonl")));
        Assert.Null(SourceDiscovery.Detect(dir.File("c.txt")));
    }
}
