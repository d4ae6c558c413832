using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mnemo.Delivery;

namespace Mnemo.Tests.Conventions;

/// <summary>Mnemo's HTTP clients come from one factory configuration, with the timeouts each use needs.</summary>
public sealed class HttpClientTests
{
    [Fact]
    public void NamedClients_HaveTheTimeoutsTheirUseNeeds()
    {
        var factory = MnemoHttpClients.Standalone;
        using var telegram = factory.CreateClient(MnemoHttpClients.Telegram);
        using var hooks = factory.CreateClient(MnemoHttpClients.Hooks);
        using var downloads = factory.CreateClient(MnemoHttpClients.Downloads);

        // The long poll waits PollSeconds on Telegram's side: the client must wait longer than that.
        Assert.True(telegram.Timeout > TimeSpan.FromSeconds(TelegramFeedbackBot.PollSeconds), $"{telegram.Timeout} does not outlast a poll");
        Assert.Equal(TimeSpan.FromSeconds(30), hooks.Timeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, downloads.Timeout);
    }

    [Fact]
    public async Task Requests_AreNotLogged_SoTheBotTokenInTelegramsUrlsStaysOutOfTheLogs()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddFakeLogging().SetMinimumLevel(LogLevel.Trace));
        services.AddMnemoHttpClients();
        await using var provider = services.BuildServiceProvider();
        var logs = provider.GetFakeLogCollector();
        using var telegram = provider.GetRequiredService<IHttpClientFactory>().CreateClient(MnemoHttpClients.Telegram);

        // Nothing listens on port 1: the request fails, after the handlers had their chance to log it.
        await Assert.ThrowsAsync<HttpRequestException>(() => telegram.GetAsync(new Uri("http://127.0.0.1:1/bot123456:SECRET-token/getMe")));

        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Message.Contains("SECRET-token", StringComparison.Ordinal));
    }
}
