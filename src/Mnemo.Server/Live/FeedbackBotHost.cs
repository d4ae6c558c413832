using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mnemo.Delivery;

namespace Mnemo.Server.Live;

/// <summary>
/// Runs Mnemo's feedback bot inside <c>mnemo serve</c>: long polling by default, or registering
/// the webhook that <c>/telegram/webhook</c> answers; nothing in <c>none</c> mode (send only).
/// </summary>
internal sealed class FeedbackBotHost(IServiceProvider services, MemoryEngine engine) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<TelegramFeedbackBot>() is not { } bot)
        {
            return Task.CompletedTask;
        }

        return engine.Options.Delivery.Telegram.Mode switch
        {
            TelegramModes.Polling => bot.PollAsync(stoppingToken),
            TelegramModes.Webhook => bot.RegisterWebhookAsync(stoppingToken),
            _ => Task.CompletedTask,
        };
    }
}
