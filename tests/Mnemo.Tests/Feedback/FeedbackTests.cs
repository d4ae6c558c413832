using System.Net;
using System.Text;
using System.Text.Json;
using Mnemo.Feedback;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Feedback;

/// <summary>👍/👎: signed button data, who may rate, and the effect on the next retained context.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class FeedbackTests(EmbedderFixture embedder)
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("a-test-feedback-key-0123456789");
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void CallbackData_FitsTelegram_AndRefusesForgedAlteredExpiredAndForeign()
    {
        var data = CallbackData.Sign(FeedbackTarget.Digest, 123_456_789, -1, Now.AddDays(30), Key);

        Assert.True(Encoding.UTF8.GetByteCount(data) <= 64);
        Assert.Equal(new SignedRating(FeedbackTarget.Digest, 123_456_789, -1, Now.AddDays(30)), CallbackData.Verify(data, Now, Key));
        var altered = data.Replace(":d:", ":u:", StringComparison.Ordinal);
        Assert.Contains("signature", Assert.Throws<CallbackRejectedException>(() => CallbackData.Verify(altered, Now, Key)).Message, StringComparison.Ordinal);
        var forged = string.Join(':', data.Split(':')[..4]) + ":AAAAAAAAAAAAAAAA";
        Assert.Throws<CallbackRejectedException>(() => CallbackData.Verify(forged, Now, Key));
        Assert.Throws<CallbackRejectedException>(() => CallbackData.Verify(data, Now, Encoding.UTF8.GetBytes("another-key-entirely-0000000")));
        Assert.Contains("expired", Assert.Throws<CallbackRejectedException>(() => CallbackData.Verify(data, Now.AddDays(31), Key)).Message, StringComparison.Ordinal);
        Assert.Throws<CallbackRejectedException>(() => CallbackData.Verify("callback_data: hello", Now, Key));
    }

    [Fact]
    public async Task ThumbsDown_OnARetainedMemory_TakesItOutOfTheNextContext_ThumbsUpMovesOneUp()
    {
        using var dir = new TempDirectory();
        var state = dir.File("openclaw");
        CompactedSession.Write(state, Now.AddDays(-1));
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, new Dictionary<string, string?>
        {
            ["OpenClaw:StateDirectory"] = state,
            ["Feedback:AllowedChats:0"] = "4242",
        });
        await WaitForAsync(async () => (await Json(await server.Client.GetAsync("/v1/compactions"))).GetProperty("compactions").GetArrayLength() > 0);
        const string context = """{"agentId":"main","sessionId":"s1","prompt":"What units should you use, and what about my ticket?"}""";

        var before = await Json(await server.Client.PostAsync("/v1/context", Body(context)));
        var metric = before.GetProperty("items").EnumerateArray().First(i => i.GetProperty("text").GetString()!.Contains("metric units", StringComparison.Ordinal)).GetProperty("memoryId").GetInt64();
        var key = Encoding.UTF8.GetBytes(server.Settings.Memory.Feedback.Key);
        var button = CallbackData.Sign(FeedbackTarget.Memory, metric, -1, DateTimeOffset.UtcNow.AddDays(1), key);
        using var down = await server.Client.PostAsync("/v1/feedback", Body($$"""{"callbackData":"{{button}}","callbackQueryId":"q1","chatId":4242,"user":"ana"}"""));
        var after = await Json(await server.Client.PostAsync("/v1/context", Body(context)));

        Assert.Contains("metric units", before.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, down.StatusCode);
        Assert.DoesNotContain("metric units", after.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("INC-48213", after.GetProperty("text").GetString(), StringComparison.Ordinal);

        // Refused: the same press again, a chat that may not rate, a forged button; a changed mind is fine.
        using var replay = await server.Client.PostAsync("/v1/feedback", Body($$"""{"callbackData":"{{button}}","callbackQueryId":"q1","chatId":4242}"""));
        using var stranger = await server.Client.PostAsync("/v1/feedback", Body($$"""{"callbackData":"{{button}}","callbackQueryId":"q2","chatId":999}"""));
        using var forged = await server.Client.PostAsync("/v1/feedback", Body($$"""{"callbackData":"{{button.Replace(":d:", ":u:", StringComparison.Ordinal)}}","callbackQueryId":"q3","chatId":4242}"""));
        using var direct = await server.Client.PostAsync("/v1/feedback", Body($$"""{"target":"memory","targetId":{{metric}},"rating":"up","user":"telegram:ana","channel":"dashboard"}"""));
        using var missing = await server.Client.PostAsync("/v1/feedback", Body("""{"target":"memory","targetId":999999,"rating":"up"}"""));
        using var badRating = await server.Client.PostAsync("/v1/feedback", Body("""{"target":"digest","targetId":1,"rating":"meh"}"""));
        var restored = await Json(await server.Client.PostAsync("/v1/context", Body(context)));
        var weeks = await Json(await server.Client.GetAsync("/v1/feedback/weeks"));

        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
        Assert.Equal("chat_not_allowed", (await Json(stranger)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.True((await Json(direct)).GetProperty("changed").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("rating", (await Json(badRating)).GetProperty("field").GetString());
        Assert.Contains("metric units", restored.GetProperty("text").GetString(), StringComparison.Ordinal);
        var week = Assert.Single(weeks.GetProperty("weeks").EnumerateArray());
        Assert.Equal(("memory", 1, 0), (week.GetProperty("target").GetString(), week.GetProperty("up").GetInt32(), week.GetProperty("down").GetInt32()));
    }

    [Fact]
    public async Task WithoutAFeedbackKey_NoButtonCounts_NotEvenOneSignedWithTheEmptyKey()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder, o => o with { Feedback = new FeedbackOptions { AllowedChats = [4242] } });
        var intake = new FeedbackIntake(engine.Feedback, engine.Options.Feedback, null, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<FeedbackIntake>.Instance);
        var forged = CallbackData.Sign(FeedbackTarget.Digest, 1, 1, DateTimeOffset.UtcNow.AddDays(1), []);

        var result = await intake.PressAsync(new ButtonPress(forged, "q1", 4242, "ana"), CancellationToken.None);

        Assert.Equal(PressOutcome.Rejected, result.Outcome);
        Assert.Contains("Auth:FeedbackKey", result.Reason, StringComparison.Ordinal);
        Assert.Empty(await engine.Feedback.WeeksAsync(DateTimeOffset.UtcNow.AddDays(-1), CancellationToken.None));
    }

    [Fact]
    public async Task Retention_DeletesOldFeedback_AndWeeksCountApproval()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder);
        await engine.Feedback.RecordAsync(FeedbackTarget.Digest, 1, 1, null, "ana", "telegram", Now.AddDays(-40), CancellationToken.None);
        await engine.Feedback.RecordAsync(FeedbackTarget.Digest, 2, 1, null, "ana", "telegram", Now.AddDays(-2), CancellationToken.None);
        await engine.Feedback.RecordAsync(FeedbackTarget.Digest, 3, -1, "too long", "ana", "telegram", Now.AddDays(-1), CancellationToken.None);
        var (_, unchanged) = await engine.Feedback.RecordAsync(FeedbackTarget.Digest, 3, -1, null, "ana", "telegram", Now, CancellationToken.None);

        using var automation = Automation.Create(engine, null, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));
        var run = await automation.Scheduler.RunNowAsync(Mnemo.Scheduling.JobNames.Retention, CancellationToken.None);
        var deleted = int.Parse(run.Detail.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        var weeks = await engine.Feedback.WeeksAsync(Now.AddDays(-60), CancellationToken.None);

        Assert.False(unchanged);
        Assert.Equal(1, deleted);
        var week = Assert.Single(weeks);
        Assert.Equal((FeedbackTarget.Digest, 1, 1, 0.5), (week.Target, week.Up, week.Down, week.Approval));
    }

    /// <summary>
    /// A session of agent main in OpenClaw's state directory: a ticket number and a preference,
    /// then small talk, then a compaction that keeps only the last turn.
    /// </summary>
    internal static class CompactedSession
    {
        public static void Write(string stateDirectory, DateTimeOffset start)
        {
            var t = new Transcript("s1", start);
            t.Message("u1", "user", "My support ticket is INC-48213 and the refund is $1,240.");
            t.Message("a1", "assistant", "Noted.");
            t.Message("u2", "user", "Please always answer in metric units.");
            t.Message("a2", "assistant", "Understood.");
            for (var i = 3; i <= 7; i++)
            {
                t.Message($"u{i}", "user", $"Gardening, part {i}: tomatoes like sun.");
                t.Message($"a{i}", "assistant", "They do.");
            }

            t.Compaction("c1", firstKeptEntryId: "u7", summary: "The user talked about gardening.");
            t.WriteTo(Path.Combine(stateDirectory, "agents", "main", "sessions", "s1.jsonl"));
        }
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("timed out");
    }
}
