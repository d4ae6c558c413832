using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Mnemo.Delivery;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Mnemo.Server.Api;

/// <summary>
/// <c>POST /telegram/webhook</c>: Telegram's updates for the feedback bot in webhook mode. Telegram
/// cannot send Mnemo's bearer token, so this route checks the secret Telegram was given with the
/// webhook instead (header <c>X-Telegram-Bot-Api-Secret-Token</c>); without a bot in webhook mode
/// every post is refused.
/// </summary>
public static class TelegramWebhookApi
{
    public static IEndpointRouteBuilder MapTelegramWebhook(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(TelegramFeedbackBot.WebhookPath, ReceiveAsync);
        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpRequest http, [FromServices] TelegramFeedbackBot? bot, MemoryEngine engine, CancellationToken cancellationToken)
    {
        // Refused alike whether or not a bot is configured, so the route says nothing to a stranger.
        if (bot is null || engine.Options.Delivery.Telegram.Mode != TelegramModes.Webhook
            || !bot.IsWebhookSecret(http.Headers[TelegramFeedbackBot.SecretHeader].FirstOrDefault()))
        {
            return RequestBody.Error(StatusCodes.Status401Unauthorized, "unauthorized", $"missing or wrong {TelegramFeedbackBot.SecretHeader}", TelegramFeedbackBot.SecretHeader);
        }

        Update? update;
        try
        {
            update = await JsonSerializer.DeserializeAsync<Update>(http.Body, JsonBotAPI.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return RequestBody.Invalid($"not a Telegram update: {ex.Message}", "body");
        }

        if (update is null)
        {
            return RequestBody.Invalid("not a Telegram update: the body is null", "body");
        }

        await bot.HandleAsync(update, cancellationToken).ConfigureAwait(false);
        return Results.Ok();
    }
}
