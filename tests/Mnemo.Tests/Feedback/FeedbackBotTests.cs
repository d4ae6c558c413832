using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mnemo.Digests;
using Mnemo.Feedback;
using Mnemo.Scheduling;
using Mnemo.Tests.Digests;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Feedback;

/// <summary>
/// The feedback bot that <c>mnemo serve</c> runs, against a Bot API stand-in on loopback that the
/// real Telegram.Bot client talks to; and what the votes do to digests.
/// </summary>
[Collection(EmbedderGroup.Name)]
public sealed class FeedbackBotTests(EmbedderFixture embedder)
{
    private const long Chat = 4242;
    private static readonly DateTimeOffset Monday9 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Serve_PollsTelegram_SendsSignalsWithButtons_CountsTaps_ToastsAndMarksTheMessage_RefusesTheRest()
    {
        await using var bot = await FakeBotApi.StartAsync();
        using var dir = new TempDirectory();
        var logs = new FakeLogCollector();
        // Telegram is down when serve starts: the bot must say so without the token, then recover.
        bot.Failure = (502, "Bad Gateway");
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, Telegram(bot), configure: services => services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs)));
        await WaitForAsync(() => logs.GetSnapshot().Any(r => r.Message.Contains("feedback bot", StringComparison.Ordinal) && r.Message.Contains("502", StringComparison.Ordinal)));
        bot.Failure = null;
        var poll = await bot.WaitForAsync("getUpdates", seconds: 30);
        Assert.InRange(poll.GetProperty("timeout").GetInt32(), 1, 50);

        var engine = server.Services.GetRequiredService<MemoryEngine>();
        await new Chat().Say("main", "q1", "user", "What time does the pharmacy close on Sundays?", DateTimeOffset.UtcNow.AddHours(-3)).IngestAsync(engine);
        using var run = await server.Client.PostAsync(new Uri("/v1/jobs/signals/run", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var sent = await bot.WaitForAsync("sendMessage", m => m.GetProperty("text").GetString()!.Contains("pharmacy", StringComparison.Ordinal));

        // The message carries a 👍 and a 👎 button, each with data signed by the config's key.
        var buttons = sent.GetProperty("reply_markup").GetProperty("inline_keyboard")[0].EnumerateArray().ToList();
        Assert.Equal(["👍 Useful", "👎 Not useful"], buttons.Select(b => b.GetProperty("text").GetString()));
        var up = buttons[0].GetProperty("callback_data").GetString()!;
        var down = buttons[1].GetProperty("callback_data").GetString()!;
        Assert.All([up, down], d => Assert.True(Encoding.UTF8.GetByteCount(d) <= 64));
        var key = Encoding.UTF8.GetBytes(server.Settings.Memory.Feedback.Key);
        var signal = CallbackData.Verify(up, DateTimeOffset.UtcNow, key);
        Assert.Equal((FeedbackTarget.Signal, 1), (signal.Target, signal.Rating));
        var messageId = bot.LastMessageId;

        // A tap: counted, answered with a toast, and the message's buttons show the vote.
        var tap = bot.PushCallback(up, Chat, messageId);
        var toast = await bot.WaitForAsync("answerCallbackQuery", a => a.GetProperty("callback_query_id").GetString() == tap);
        Assert.StartsWith("Noted 👍", toast.GetProperty("text").GetString(), StringComparison.Ordinal);
        var edit = await bot.WaitForAsync("editMessageReplyMarkup");
        Assert.Equal((Chat, messageId), (edit.GetProperty("chat_id").GetInt64(), edit.GetProperty("message_id").GetInt32()));
        Assert.Equal("✅ 👍 Useful", edit.GetProperty("reply_markup").GetProperty("inline_keyboard")[0][0].GetProperty("text").GetString());
        var weeks = JsonDocument.Parse(await server.Client.GetStringAsync(new Uri("/v1/feedback/weeks", UriKind.Relative))).RootElement;
        var week = Assert.Single(weeks.GetProperty("weeks").EnumerateArray());
        Assert.Equal(("signal", 1, 0), (week.GetProperty("target").GetString(), week.GetProperty("up").GetInt32(), week.GetProperty("down").GetInt32()));

        // Refused, each with its toast and no vote: the same tap again, a forged button, a chat not allowed.
        var replay = bot.PushCallback(up, Chat, messageId, queryId: tap);
        var forged = bot.PushCallback(up.Replace(":u:", ":d:", StringComparison.Ordinal), Chat, messageId);
        var stranger = bot.PushCallback(down, 999, 1);
        Assert.Equal("Already counted.", await ToastAsync(bot, replay, skip: 1));
        Assert.Equal("This button is not valid.", await ToastAsync(bot, forged));
        Assert.Contains("may not rate", await ToastAsync(bot, stranger), StringComparison.Ordinal);
        var votes = JsonDocument.Parse(await server.Client.GetStringAsync(new Uri("/v1/feedback/weeks", UriKind.Relative))).RootElement;
        Assert.Equal(1, votes.GetProperty("weeks")[0].GetProperty("up").GetInt32());
        Assert.Equal(0, votes.GetProperty("weeks")[0].GetProperty("down").GetInt32());
        Assert.Single(bot.Calls, c => c.Method == "editMessageReplyMarkup");

        // /start tells the user which chat id to allow.
        bot.PushMessage("/start", 5555);
        var hello = await bot.WaitForAsync("sendMessage", m => m.GetProperty("chat_id").GetInt64() == 5555);
        Assert.Contains("This chat's id is 5555", hello.GetProperty("text").GetString(), StringComparison.Ordinal);

        var records = logs.GetSnapshot();
        Assert.Contains(records, r => r.Level == LogLevel.Warning && r.Message.Contains("signature", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Level == LogLevel.Warning && r.Message.Contains("not in Feedback:AllowedChats", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Level == LogLevel.Warning && r.Message.Contains("already counted", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Message.Contains(bot.Token, StringComparison.Ordinal) || r.Exception?.ToString().Contains(bot.Token, StringComparison.Ordinal) == true);
        Assert.DoesNotContain(records, r => r.Message.Contains(server.Settings.Memory.Feedback.Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Serve_InWebhookMode_RegistersTheWebhookWithASecret_AndOnlyPostsCarryingItAreHeard()
    {
        await using var bot = await FakeBotApi.StartAsync();
        using var dir = new TempDirectory();
        var overrides = Telegram(bot);
        overrides["Delivery:Telegram:Mode"] = "webhook";
        overrides["Delivery:Telegram:WebhookUrl"] = "https://mnemo.example.net/telegram/webhook";
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, overrides);

        var registered = await bot.WaitForAsync("setWebhook");
        Assert.Equal("https://mnemo.example.net/telegram/webhook", registered.GetProperty("url").GetString());
        var secret = registered.GetProperty("secret_token").GetString()!;
        Assert.Matches("^[A-Za-z0-9_-]{20,256}$", secret);
        var key = Encoding.UTF8.GetBytes(server.Settings.Memory.Feedback.Key);
        var data = CallbackData.Sign(FeedbackTarget.Digest, 7, -1, DateTimeOffset.UtcNow.AddDays(1), key);
        var update = $$$"""
            {"update_id":5,"callback_query":{"id":"cbq-web","from":{"id":777,"is_bot":false,"first_name":"Ana"},"chat_instance":"ci",
             "data":"{{{data}}}","message":{"message_id":3,"date":1764000000,"chat":{"id":{{{Chat}}},"type":"private"},"text":"digest"} } }
            """;

        using var missing = await server.Anonymous.PostAsync(new Uri("/telegram/webhook", UriKind.Relative), new StringContent(update, Encoding.UTF8, "application/json"));
        using var wrong = await PostWebhookAsync(server, update, "not-the-secret");
        using var garbage = await PostWebhookAsync(server, "{\"update_id\":", secret);
        using var heard = await PostWebhookAsync(server, update, secret);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, heard.StatusCode);
        var toast = await bot.WaitForAsync("answerCallbackQuery");
        Assert.Equal("cbq-web", toast.GetProperty("callback_query_id").GetString());
        Assert.StartsWith("Noted 👎", toast.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(bot.Calls, c => c.Method == "getUpdates");
        var weeks = await server.Services.GetRequiredService<MemoryEngine>().Feedback.WeeksAsync(DateTimeOffset.UtcNow.AddDays(-7), CancellationToken.None);
        Assert.Equal((FeedbackTarget.Digest, 0, 1), (weeks[0].Target, weeks[0].Up, weeks[0].Down));
    }

    [Fact]
    public async Task AfterACompaction_TheUserIsToldWhatCameBack_AndAThumbsDownOnItDemotesThoseMemories()
    {
        await using var bot = await FakeBotApi.StartAsync();
        using var dir = new TempDirectory();
        var state = dir.File("openclaw");
        FeedbackTests.CompactedSession.Write(state, DateTimeOffset.UtcNow.AddHours(-2));
        var overrides = Telegram(bot);
        overrides["OpenClaw:StateDirectory"] = state;
        overrides["Digests:Deliver:0"] = "context";
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, overrides);
        var engine = server.Services.GetRequiredService<MemoryEngine>();
        await WaitForAsync(() => engine.Compactions.GetLatestAsync("main", "s1", CancellationToken.None).GetAwaiter().GetResult() is not null);

        const string ask = """{"agentId":"main","sessionId":"s1","prompt":"What units should you use, and what about my ticket?"}""";
        using var first = await server.Client.PostAsync(new Uri("/v1/context", UriKind.Relative), new StringContent(ask, Encoding.UTF8, "application/json"));
        using var second = await server.Client.PostAsync(new Uri("/v1/context", UriKind.Relative), new StringContent(ask, Encoding.UTF8, "application/json"));
        var brought = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("origin").GetString() == "compaction").Select(i => i.GetProperty("memoryId").GetInt64()).Distinct().ToList();
        Assert.NotEmpty(brought);
        using var sweep = await server.Client.PostAsync(new Uri("/v1/jobs/compaction-sweep/run", UriKind.Relative), null);
        Assert.True(sweep.IsSuccessStatusCode, await sweep.Content.ReadAsStringAsync());

        // One notice for the compaction, however many turns followed it.
        var notice = await bot.WaitForAsync("sendMessage", m => m.GetProperty("text").GetString()!.Contains("brought back", StringComparison.Ordinal));
        Assert.Single(bot.Calls, c => c.Method == "sendMessage");
        Assert.Contains("metric units", notice.GetProperty("text").GetString(), StringComparison.Ordinal);
        var down = notice.GetProperty("reply_markup").GetProperty("inline_keyboard")[0][1].GetProperty("callback_data").GetString()!;
        Assert.StartsWith("mn:c", down, StringComparison.Ordinal);

        var tap = bot.PushCallback(down, Chat, bot.LastMessageId);
        Assert.StartsWith("Noted 👎", await ToastAsync(bot, tap), StringComparison.Ordinal);
        var ratings = await engine.Feedback.GetAsync(brought, CancellationToken.None);
        Assert.All(brought, id => Assert.Equal(new MemoryRating(0, -1), ratings[id]));
        Assert.All(brought, id => Assert.True(ratings[id].Boost < 0));
    }

    [Fact]
    public async Task Votes_ShapeTheNextDigests_ThumbsDownDropsALine_RatedDigestsMoveTheirSources_DigestsReportApproval()
    {
        using var rated = new TempDirectory();
        using var control = new TempDirectory();
        var evening = new DateTimeOffset(2026, 11, 23, 22, 0, 0, TimeSpan.Zero);
        var (engine, automation) = await OpenAsync(rated, evening);
        var (controlEngine, controlAutomation) = await OpenAsync(control, evening);
        await using var _ = engine;
        using var __ = automation;
        await using var ___ = controlEngine;
        using var ____ = controlAutomation;

        var hourly = (await automation.Digests.WriteHourlyAsync(Monday9.AddHours(1), CancellationToken.None)).Single(d => d.Agent == "main");
        var decision = hourly.Lines.First(l => l.Text.Contains("We decided to go with PostgreSQL 16", StringComparison.Ordinal)).MemoryIds.Single();
        await engine.Feedback.RecordAsync(FeedbackTarget.Memory, decision, -1, null, "telegram:777", "telegram", Monday9.AddHours(2), CancellationToken.None);
        await engine.Feedback.RecordAsync(FeedbackTarget.Digest, hourly.Id, -1, null, "telegram:777", "telegram", Monday9.AddHours(2), CancellationToken.None);
        await engine.Feedback.RecordAsync(FeedbackTarget.Digest, 900, 1, null, "telegram:777", "telegram", Monday9.AddHours(2), CancellationToken.None);
        await engine.Feedback.RecordAsync(FeedbackTarget.Digest, 901, 1, null, "telegram:777", "telegram", Monday9.AddHours(2), CancellationToken.None);

        // A 👎 digest counts against every memory it cited (a little) and against itself (fully).
        var ratings = await engine.Feedback.GetAsync([.. hourly.Lines.SelectMany(l => l.MemoryIds), hourly.MemoryId!.Value], CancellationToken.None);
        Assert.Equal(new MemoryRating(-1, -1), ratings[decision]);
        Assert.All(hourly.Lines.SelectMany(l => l.MemoryIds).Where(id => id != decision), id => Assert.Equal(new MemoryRating(0, -1), ratings[id]));
        Assert.True(ratings[hourly.MemoryId!.Value].Rejected);
        Assert.Equal(-0.3, ratings[hourly.Lines.SelectMany(l => l.MemoryIds).First(id => id != decision)].Boost, 3);

        var daily = (await automation.Digests.WriteDailyAsync(new DateOnly(2026, 11, 23), CancellationToken.None)).Single(d => d.Agent == "main");
        var controlDaily = (await controlAutomation.Digests.WriteDailyAsync(new DateOnly(2026, 11, 23), CancellationToken.None)).Single(d => d.Agent == "main");

        var controlDecision = (await controlEngine.Store.GetMemoriesBetweenAsync(Monday9, Monday9.AddMinutes(1), "main", 10, CancellationToken.None)).Single().Memory.Id;
        Assert.Contains(controlDaily.Lines, l => l.MemoryIds.Contains(controlDecision));
        Assert.DoesNotContain(daily.Lines, l => l.MemoryIds.Contains(decision));
        Assert.DoesNotContain(controlDaily.Lines, l => l.Section == DigestService.FeedbackSection);
        var approval = daily.Lines.Where(l => l.Section == DigestService.FeedbackSection).Select(l => l.Text).ToList();
        Assert.Equal(2, approval.Count);
        Assert.Contains("67% 👍 (2 of 3)", approval[0], StringComparison.Ordinal);
        Assert.Equal("Week of 2026-11-23: 67% 👍 (2 of 3)", approval[1]);
        Assert.Contains("### Your feedback", daily.Text, StringComparison.Ordinal);
    }

    private async Task<(MemoryEngine Engine, Automation Automation)> OpenAsync(TempDirectory dir, DateTimeOffset now)
    {
        var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder, o => o with { Schedule = new ScheduleOptions { TimeZone = "UTC" } });
        await DigestTests.Morning().IngestAsync(engine);
        return (engine, Automation.Create(engine, null, new FakeTimeProvider(now)));
    }

    private static Dictionary<string, string?> Telegram(FakeBotApi bot) => new()
    {
        ["Delivery:Telegram:BotToken"] = bot.Token,
        ["Delivery:Telegram:ChatId"] = Chat.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Delivery:Telegram:ApiBaseUrl"] = bot.BaseUrl,
    };

    private static async Task<HttpResponseMessage> PostWebhookAsync(TestServer server, string body, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/telegram/webhook", UriKind.Relative)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", secret);
        return await server.Anonymous.SendAsync(request);
    }

    /// <summary>The toast of the tap <paramref name="queryId"/> (skipping that many earlier answers to the same id).</summary>
    private static async Task<string> ToastAsync(FakeBotApi bot, string queryId, int skip = 0)
    {
        for (var i = 0; i < 400; i++)
        {
            var answers = bot.Calls.Where(c => c.Method == "answerCallbackQuery" && c.Body.GetProperty("callback_query_id").GetString() == queryId).ToList();
            if (answers.Count > skip)
            {
                return answers[skip].Body.GetProperty("text").GetString()!;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"tap {queryId} was not answered");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600; i++)
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("timed out");
    }
}
