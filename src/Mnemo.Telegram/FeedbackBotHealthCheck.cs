using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mnemo.Delivery;

/// <summary>Mnemo's Telegram bot answers (when one is configured).</summary>
public sealed class FeedbackBotHealthCheck(TelegramFeedbackBot? bot) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (bot is null)
        {
            return HealthCheckResult.Healthy("no Telegram bot configured");
        }

        var problem = await bot.ProbeAsync(cancellationToken).ConfigureAwait(false);
        return problem is null ? HealthCheckResult.Healthy("Telegram answers the bot") : HealthCheckResult.Degraded($"the Telegram bot cannot reach Telegram: {problem}");
    }
}
