using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnemo.Tests.Support;
using Xunit.Abstractions;

namespace Mnemo.OpenClaw.Tests;

/// <summary>
/// 👍/👎 through OpenClaw's own Telegram bot: real OpenClaw 2026.9.6 runs its Telegram channel
/// against a Bot API stand-in on loopback, Mnemo sends a signal with signed buttons on the same bot
/// (send only, since OpenClaw owns the bot's updates), the user's tap reaches OpenClaw, and the
/// bridge plugin's interactive handler forwards it to Mnemo and redraws the buttons.
/// </summary>
public sealed class TelegramFeedbackTests(ITestOutputHelper output)
{
    private const long User = 777;

    [Fact]
    public async Task ButtonTap_OnOpenClawsBot_ReachesMnemoThroughTheBridgePlugin()
    {
        var clock = Stopwatch.StartNew();
        var openClaw = await OpenClawInstall.EnsureAsync();
        var root = Directory.CreateTempSubdirectory("mnemo-e2e-tg-");
        var home = Path.Combine(root.FullName, "home");
        var data = Path.Combine(root.FullName, "mnemo");
        var mnemoPort = OpenClawInstall.FreePort();
        var gatewayPort = OpenClawInstall.FreePort();
        await using var model = await FakeModelServer.StartAsync();
        await using var bot = await FakeBotApi.StartAsync();
        Process? mnemo = null;
        Process? gateway = null;
        try
        {
            Harness.WriteOpenClawConfig(home, model.BaseAddress, gatewayPort, new JsonObject
            {
                ["enabled"] = true,
                ["botToken"] = bot.Token,
                ["apiRoot"] = bot.BaseUrl,
                ["dmPolicy"] = "allowlist",
                ["allowFrom"] = new JsonArray(User.ToString(CultureInfo.InvariantCulture)),
                ["capabilities"] = new JsonObject { ["inlineButtons"] = "all" },
            });
            await Harness.InitOpenClawAsync(openClaw, data, mnemoPort, home);

            (mnemo, var mnemoLog) = await Harness.StartServeAsync(data, mnemoPort, home, new Dictionary<string, string>
            {
                ["MNEMO_Delivery__Telegram__BotToken"] = bot.Token,
                ["MNEMO_Delivery__Telegram__ChatId"] = User.ToString(CultureInfo.InvariantCulture),
                ["MNEMO_Delivery__Telegram__ApiBaseUrl"] = bot.BaseUrl,
                ["MNEMO_Delivery__Telegram__Mode"] = "none",
                ["MNEMO_Schedule__Enabled"] = "false",
            });
            using var http = Harness.Client(data, mnemoPort);

            gateway = await Harness.StartGatewayAsync(openClaw, home, gatewayPort);
            var polled = await Harness.WaitForAsync(() => bot.Calls.Any(c => c.Method == "getUpdates"), TimeSpan.FromMinutes(1));
            Assert.True(polled, $"OpenClaw's Telegram channel never polled the stand-in; calls: {string.Join(", ", bot.Calls.Select(c => c.Method))}\nOpenClaw log:\n{Harness.Tail(Path.Combine(home, "openclaw.log"))}");
            Step("mnemo serve up; OpenClaw polls its Telegram bot", clock);

            // A question left unanswered becomes a signal, which Mnemo sends on the bot with buttons.
            var asked = DateTimeOffset.UtcNow.AddHours(-3).ToString("O", CultureInfo.InvariantCulture);
            using (var ingest = await http.PostAsync(new Uri("/v1/ingest", UriKind.Relative), new StringContent(
                $$"""{"turns":[{"agent":"main","session":"q1","id":"u1","role":"user","text":"What time does the pharmacy close on Sundays?","timestamp":"{{asked}}"}]}""", Encoding.UTF8, "application/json")))
            {
                Assert.True(ingest.IsSuccessStatusCode, await ingest.Content.ReadAsStringAsync());
            }

            using (var run = await http.PostAsync(new Uri("/v1/jobs/signals/run", UriKind.Relative), null))
            {
                Assert.True(run.IsSuccessStatusCode, $"{await run.Content.ReadAsStringAsync()}\nmnemo serve said:\n{mnemoLog}");
            }

            var sent = await bot.WaitForAsync("sendMessage", m => m.TryGetProperty("reply_markup", out _));
            var up = sent.GetProperty("reply_markup").GetProperty("inline_keyboard")[0][0].GetProperty("callback_data").GetString()!;
            var messageId = bot.LastMessageId;
            Step("signal sent with buttons", clock);

            bot.PushCallback(up, User, messageId, User);
            var recorded = false;
            var weeks = string.Empty;
            for (var i = 0; i < 150 && !recorded; i++)
            {
                await Task.Delay(200);
                weeks = await http.GetStringAsync(new Uri("/v1/feedback/weeks", UriKind.Relative));
                recorded = JsonDocument.Parse(weeks).RootElement.GetProperty("weeks").EnumerateArray().Any(w => w.GetProperty("target").GetString() == "signal" && w.GetProperty("up").GetInt32() == 1);
            }

            Assert.True(recorded, $"the tap never reached Mnemo: {weeks}\ncalls: {string.Join(", ", bot.Calls.Select(c => c.Method))}\nmnemo serve said:\n{mnemoLog}\nOpenClaw log:\n{Harness.Tail(Path.Combine(home, "openclaw.log"))}");
            var edit = await bot.WaitForAsync("editMessageReplyMarkup", seconds: 30);
            Assert.Equal("✅ 👍 Useful", edit.GetProperty("reply_markup").GetProperty("inline_keyboard")[0][0].GetProperty("text").GetString());
            await bot.WaitForAsync("answerCallbackQuery", seconds: 30);
            Step("tap forwarded by the plugin, counted by Mnemo, buttons redrawn", clock);

            await OpenClawInstall.StopAsync(mnemo);
            var key = Harness.Auth(data, "FeedbackKey");
            Assert.Null(Harness.SecretInLogs(data, Harness.Token(data), bot.Token, key, up, "pharmacy close"));
        }
        finally
        {
            await Harness.StopAndDeleteAsync(root, gateway, mnemo);
        }
    }

    private void Step(string what, Stopwatch clock) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {what}");
}
