using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Mnemo.Delivery;
using Mnemo.Digests;
using Mnemo.Language;
using Mnemo.Scheduling;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Digests;

/// <summary>Digests written by a model (three passes over real HTTP), and delivered through OpenClaw's hook.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class DigestModelAndDeliveryTests(EmbedderFixture embedder)
{
    private static readonly DateTimeOffset Monday9 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private async Task<(MemoryEngine Engine, Automation Automation)> OpenAsync(TempDirectory dir, DateTimeOffset now, LanguageModelOptions? model = null, DeliveryOptions? delivery = null)
    {
        var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder, o => o with
        {
            Schedule = new ScheduleOptions { TimeZone = "UTC" },
            Model = model ?? new LanguageModelOptions(),
            Delivery = delivery ?? new DeliveryOptions(),
        });
        await DigestTests.Morning().IngestAsync(engine);

        // Telegram plugs in from its own assembly, as WithTelegram() adds it to serve.
        var time = new FakeTimeProvider(now);
        var feedback = Automation.CreateFeedbackIntake(engine, time, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var telegram = engine.Options.Delivery.Telegram;
        IDeliveryChannel[] channels = telegram.IsConfigured
            ? [new TelegramChannel(TelegramBotClients.Create(telegram, MnemoHttpClients.Standalone.CreateClient(MnemoHttpClients.Telegram)), telegram, engine.Options.Feedback.Key.Length > 0 ? feedback : null)]
            : [];
        return (engine, Automation.Create(engine, null, time, chatClient: ChatClientFactory.Create(engine.Options.Model), feedback: feedback, channels: channels));
    }

    private static LanguageModelOptions Model(FakeChatServer server) => new()
    {
        Provider = "openai",
        Endpoint = server.OpenAiEndpoint,
        Model = "fake-model",
        MaxRetries = 0,
        RetryDelay = TimeSpan.FromMilliseconds(10),
    };

    [Fact]
    public async Task WithAModel_HourlyDigestsAreDraftedCritiquedAndRefined_AndCiteTheirSources()
    {
        await using var server = await FakeChatServer.StartAsync();
        using var dir = new TempDirectory();
        var (engine, automation) = await OpenAsync(dir, Monday9.AddHours(1), Model(server));
        await using var _ = engine;
        using var __ = automation;

        var written = await automation.Digests.WriteHourlyAsync(Monday9.AddHours(1), CancellationToken.None);

        Assert.Equal(2, written.Count);
        Assert.All(written, d => Assert.Equal("model", d.Method));
        Assert.Equal(6, server.Requests.Count);
        var main = written.Single(d => d.Agent == "main");
        var run = await automation.PromptRuns.GetAsync(main.PromptRunId!.Value, CancellationToken.None);
        Assert.Equal(["draft", "critique", "refine"], run!.Passes.Select(p => p.Name));
        Assert.Equal(run.Refined!.Split('\n').Length - 1, main.Lines.Count);
        var mainIds = (await engine.Store.GetMemoriesBetweenAsync(Monday9, Monday9.AddHours(1), "main", 100, CancellationToken.None)).Select(m => m.Memory.Id).ToHashSet();
        Assert.All(main.Lines, l => Assert.Subset(mainIds, l.MemoryIds.ToHashSet()));
        // The critique's point (a source the draft left out) is a line of the stored digest.
        var critiqued = run.Critique!.Split('"')[1];
        Assert.Contains(main.Lines, l => l.Text == critiqued);
        Assert.Contains("Task: Summarize the last hour of the conversations of agent 'main'", server.Requests.First().User, StringComparison.Ordinal);
        Assert.DoesNotContain("TP1234", server.Requests.First(r => r.User.Contains("'main'", StringComparison.Ordinal)).User, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAModel_TheDailySyncConsolidatesTheHourlyDigests_AndTheWeekReadsTheDays()
    {
        await using var server = await FakeChatServer.StartAsync();
        using var dir = new TempDirectory();
        var (engine, automation) = await OpenAsync(dir, new DateTimeOffset(2026, 11, 29, 22, 0, 0, TimeSpan.Zero), Model(server));
        await using var _ = engine;
        using var __ = automation;
        var hourly = await automation.Digests.WriteHourlyAsync(Monday9.AddHours(1), CancellationToken.None);
        server.Requests.Clear();

        var daily = await automation.Digests.WriteDailyAsync(new DateOnly(2026, 11, 23), CancellationToken.None);
        var dailyDraft = server.Requests.First().User;
        server.Requests.Clear();
        var weekly = await automation.Digests.WriteWeeklyAsync(new DateOnly(2026, 11, 29), CancellationToken.None);
        var weeklyDraft = server.Requests.First().User;

        Assert.All(daily, d => Assert.Equal("model", d.Method));
        var main = daily.Single(d => d.Agent == "main");
        var mainHourly = hourly.Single(h => h.Agent == "main");
        Assert.Contains($"<source id=\"m{mainHourly.MemoryId}\" from=\"hourly summary 09:00\">", dailyDraft, StringComparison.Ordinal);
        Assert.All(main.Lines.Where(l => l.MemoryIds.Count > 0), l => Assert.Equal([mainHourly.MemoryId!.Value], l.MemoryIds));
        Assert.Equal("model", weekly!.Method);
        Assert.Contains("daily sync of main", weeklyDraft, StringComparison.Ordinal);
        Assert.Contains("daily sync of travel", weeklyDraft, StringComparison.Ordinal);
        Assert.Contains(weekly.Lines, l => l.Section == "Activity" && l.Text.StartsWith("main:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenTheModelFails_TheDigestIsExtractive_AndTheFailureIsRecorded()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.FailNext(1000);
        using var dir = new TempDirectory();
        var (engine, automation) = await OpenAsync(dir, Monday9.AddHours(1), Model(server));
        await using var _ = engine;
        using var __ = automation;

        var written = await automation.Digests.WriteHourlyAsync(Monday9.AddHours(1), CancellationToken.None);

        Assert.Equal(2, written.Count);
        Assert.All(written, d => Assert.Equal("extractive", d.Method));
        Assert.Contains(written.Single(d => d.Agent == "main").Lines, l => l.Text.Contains("PostgreSQL 16", StringComparison.Ordinal));
        var usage = await automation.Calls.UsageAsync(DateTimeOffset.UnixEpoch, CancellationToken.None);
        Assert.True(usage.Failed >= 2);
    }

    [Fact]
    public async Task Delivery_ThroughOpenClawsHook_SendsEachDigestOnce_AndRetriesWhatFailed()
    {
        await using var hook = await HookReceiver.StartAsync();
        using var dir = new TempDirectory();
        var delivery = new DeliveryOptions { OpenClaw = new OpenClawHookOptions { Url = hook.Url, Token = "hook-token-secret", Channel = "telegram", To = "12345" } };
        var (engine, automation) = await OpenAsync(dir, Monday9.AddHours(13), delivery: delivery);
        await using var _ = engine;
        using var __ = automation;

        hook.Status = 500;
        var failed = await automation.Scheduler.RunNowAsync(JobNames.DailySync, CancellationToken.None);
        hook.Status = 200;
        var retried = await automation.Scheduler.RunNowAsync(JobNames.DailySync, CancellationToken.None);
        var again = await automation.Scheduler.RunNowAsync(JobNames.DailySync, CancellationToken.None);

        Assert.False(failed.Succeeded);
        Assert.Contains("deliveries failed", failed.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("hook-token-secret", failed.Detail, StringComparison.Ordinal);
        Assert.True(retried.Succeeded, retried.Detail);
        Assert.True(again.Succeeded, again.Detail);
        var delivered = hook.Received.Where(r => r.Status == 200).ToList();
        Assert.Equal(2, delivered.Count);
        Assert.All(hook.Received, r => Assert.Equal("Bearer hook-token-secret", r.Authorization));
        var bodies = delivered.Select(r => r.Body).ToList();
        Assert.All(bodies, b => Assert.True(b.GetProperty("deliver").GetBoolean()));
        Assert.All(bodies, b => Assert.Equal("telegram", b.GetProperty("channel").GetString()));
        Assert.All(bodies, b => Assert.Equal("12345", b.GetProperty("to").GetString()));
        Assert.Equal(["main", "travel"], bodies.Select(b => b.GetProperty("agentId").GetString()).Order());
        Assert.Contains(bodies, b => b.GetProperty("message").GetString()!.Contains("PostgreSQL 16", StringComparison.Ordinal));
        var digests = await automation.Digests.Store.LatestAsync(DigestKind.Daily, null, 10, CancellationToken.None);
        Assert.All(digests, d => Assert.NotNull(d.DeliveredAt));
    }

    [Fact]
    public async Task Delivery_StraightToTelegram_SendsTheSignalsThroughTheBotApi_TokenNeverInErrors()
    {
        await using var bot = await FakeBotApi.StartAsync();
        using var dir = new TempDirectory();
        var delivery = new DeliveryOptions { Telegram = new TelegramDeliveryOptions { BotToken = bot.Token, ChatId = 4242, ApiBaseUrl = bot.BaseUrl } };
        var (engine, automation) = await OpenAsync(dir, Monday9.AddHours(3), delivery: delivery);
        await using var _ = engine;
        using var __ = automation;
        await new Chat().Say("main", "q1", "user", "What time does the pharmacy close on Sundays?", Monday9.AddHours(1)).IngestAsync(engine);

        bot.Failure = (403, "Forbidden: bot was blocked by the user");
        var refused = await automation.Scheduler.RunNowAsync(JobNames.Signals, CancellationToken.None);
        bot.Failure = null;
        var sent = await automation.Scheduler.RunNowAsync(JobNames.Signals, CancellationToken.None);

        Assert.False(refused.Succeeded);
        Assert.Contains("bot was blocked", refused.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(bot.Token, refused.Detail, StringComparison.Ordinal);
        Assert.True(sent.Succeeded, sent.Detail);
        var messages = bot.Calls.Where(c => c.Method == "sendMessage").Select(c => c.Body).ToList();
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Equal(4242, m.GetProperty("chat_id").GetInt64()));
        Assert.Contains("pharmacy", messages[^1].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("**", messages[^1].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("1 items delivered", sent.Detail, StringComparison.Ordinal);
    }

    /// <summary>OpenClaw's <c>/hooks/agent</c> as seen from outside: records what arrives, answers a chosen status.</summary>
    private sealed class HookReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private HookReceiver(WebApplication app) => _app = app;

        public int Status { get; set; } = 200;

        public ConcurrentQueue<(string Authorization, JsonElement Body, int Status)> Received { get; } = new();

        public string Url => _app.Urls.Single() + "/hooks/agent";

        public static async Task<HookReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new HookReceiver(app);
            app.MapPost("/hooks/agent", async (HttpRequest request) =>
            {
                using var body = await JsonDocument.ParseAsync(request.Body);
                receiver.Received.Enqueue((request.Headers.Authorization.ToString(), body.RootElement.Clone(), receiver.Status));
                return Results.Json(new { ok = receiver.Status == 200 }, statusCode: receiver.Status);
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
