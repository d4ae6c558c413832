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
}
