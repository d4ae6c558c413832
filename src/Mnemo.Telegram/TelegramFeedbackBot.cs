using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Mnemo.Feedback;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mnemo.Delivery;

/// <summary>
/// Mnemo's own feedback bot (the bot of <c>Delivery:Telegram</c>): it hears the 👍/👎 taps under
/// the digests and signals <see cref="TelegramChannel"/> sent, by long polling or by webhook,
/// counts them through <see cref="FeedbackIntake"/>, answers every tap with a short toast and marks
/// the recorded vote on the message's buttons. It also tells <c>/start</c> which chat id to allow.
/// The bot token is never written to a log or an error: Telegram.Bot's messages are scrubbed of it.
/// </summary>
public sealed partial class TelegramFeedbackBot(ITelegramBotClient bot, TelegramDeliveryOptions options, FeedbackIntake intake, ILogger<TelegramFeedbackBot> logger)
{
    /// <summary>Where <c>mnemo serve</c> takes Telegram's webhook posts.</summary>
    public const string WebhookPath = "/telegram/webhook";

    /// <summary>The header Telegram sends the webhook's secret in.</summary>
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    private static readonly UpdateType[] Wanted = [UpdateType.CallbackQuery, UpdateType.Message];
    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxErrorPause = TimeSpan.FromMinutes(5);

    /// <summary>How long Telegram holds one poll open waiting for a tap.</summary>
    public const int PollSeconds = 25;

    /// <summary>
    /// The webhook's secret: derived from the feedback key, so it needs no setting of its own and
    /// changes when the key does. Letters, digits, '-' and '_' only, as Telegram requires.
    /// </summary>
    public string WebhookSecret { get; } = System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(intake.Options.Key), "telegram-webhook"u8));

    /// <summary>The 👍/👎 row under a digest or signal; the vote already recorded through it is marked.</summary>
    public static InlineKeyboardMarkup Keyboard(FeedbackIntake intake, FeedbackTarget target, long targetId, int? chosen, DateTimeOffset? expires)
    {
        ArgumentNullException.ThrowIfNull(intake);
        return new([[.. intake.Buttons(target, targetId, chosen, expires).Select(b => InlineKeyboardButton.WithCallbackData(b.Text, b.Data))]]);
    }

    /// <summary>What a delivered item's handle names: <c>d42</c> a digest, <c>s7</c> a signal, <c>c3</c> a context notice.</summary>
    public static (FeedbackTarget Kind, long Id)? TargetOf(string handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.Length < 2 || !long.TryParse(handle.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return null;
        }

        return handle[0] switch
        {
            'd' => (FeedbackTarget.Digest, id),
            's' => (FeedbackTarget.Signal, id),
            'c' => (FeedbackTarget.Context, id),
            _ => null,
        };
    }

    /// <summary>The text with the bot token cut out (Telegram.Bot's messages may carry the request URL).</summary>
    public static string Redact(string text, string? token) =>
        string.IsNullOrEmpty(token) ? text : text.Replace(token, "<bot token>", StringComparison.Ordinal);

    /// <summary>Whether a webhook post carries this bot's secret (compared in constant time).</summary>
    public bool IsWebhookSecret(string? given) =>
        given is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret)));

    /// <summary>
    /// Long polling until cancelled; any webhook is removed first, since Telegram refuses getUpdates
    /// while one is set. The loop is written here rather than Telegram.Bot's receiver because that one
    /// asks Telegram to hold each poll as long as the HTTP client's whole timeout, so the two expire
    /// together; here a poll waits <see cref="PollSeconds"/>, well inside it, and failures back off.
    /// </summary>
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        var offset = 0;
        var webhookCleared = false;
        var pause = ErrorPause;
        while (!cancellationToken.IsCancellationRequested)
        {
            Update[] updates;
            try
            {
                if (!webhookCleared)
                {
                    await bot.DeleteWebhook(cancellationToken: cancellationToken).ConfigureAwait(false);
                    webhookCleared = true;
                    Log.Polling(logger);
                }

                updates = await bot.GetUpdates(offset, limit: 100, timeout: PollSeconds, allowedUpdates: Wanted, cancellationToken: cancellationToken).ConfigureAwait(false);
                pause = ErrorPause;
            }
            catch (Exception ex) when (ex is ApiRequestException or RequestException && !cancellationToken.IsCancellationRequested)
            {
                Failed(ex, "polling");
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                pause = Longer(pause);
                continue;
            }

            foreach (var update in updates)
            {
                offset = update.Id + 1;
                await HandleAsync(update, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Points Telegram at <see cref="TelegramDeliveryOptions.WebhookUrl"/> with the secret; retried until it works or the host stops.</summary>
    public async Task RegisterWebhookAsync(CancellationToken cancellationToken)
    {
        var pause = ErrorPause;
        while (true)
        {
            try
            {
                await bot.SetWebhook(options.WebhookUrl!, allowedUpdates: Wanted, secretToken: WebhookSecret, cancellationToken: cancellationToken).ConfigureAwait(false);
                Log.WebhookSet(logger, options.WebhookUrl!);
                return;
            }
            catch (Exception ex) when (ex is ApiRequestException or RequestException && !cancellationToken.IsCancellationRequested)
            {
                Failed(ex, "setting the webhook");
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                pause = Longer(pause);
            }
        }
    }

    /// <summary>The next pause after a failure: twice the last, at most <see cref="MaxErrorPause"/>.</summary>
    private static TimeSpan Longer(TimeSpan pause) => TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxErrorPause.Ticks));

    /// <summary>Asks Telegram who the bot is (health); null when it answers, else why not.</summary>
    public async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await bot.GetMe(timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is ApiRequestException or RequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return Redact(ex is ApiRequestException api ? $"Telegram answered {api.ErrorCode}: {api.Message}" : ex is OperationCanceledException ? "no answer within 10 s" : ex.Message, options.BotToken);
        }
    }

    /// <summary>One update from Telegram, polled or posted to the webhook.</summary>
    public async Task HandleAsync(Update update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        try
        {
            if (update.CallbackQuery is { } query)
            {
                await TapAsync(query, cancellationToken).ConfigureAwait(false);
            }
            else if (update.Message is { Text: { } text } message && (text.StartsWith("/start", StringComparison.Ordinal) || text.StartsWith("/chatid", StringComparison.Ordinal)))
            {
                var chat = message.Chat.Id;
                var status = intake.IsAllowed(chat)
                    ? "Ratings from this chat count."
                    : "To rate digests from this chat, add this id to Feedback:AllowedChats in Mnemo's config.json.";
                await bot.SendMessage(chat, string.Create(CultureInfo.InvariantCulture, $"This is Mnemo's feedback bot. This chat's id is {chat}. {status}"), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // One bad update (Telegram refusing an edit, the store busy) must not stop the bot.
            Failed(ex, "answering an update");
        }
    }

    private async Task TapAsync(CallbackQuery query, CancellationToken cancellationToken)
    {
        if (query.Data is not { } data || !data.StartsWith(CallbackData.Namespace + ":", StringComparison.Ordinal))
        {
            // Not one of Mnemo's buttons; answer anyway so the user's spinner stops.
            await bot.AnswerCallbackQuery(query.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        var message = query.Message;
        var press = new ButtonPress(data, query.Id, message?.Chat.Id, query.From.Id.ToString(CultureInfo.InvariantCulture));
        var result = await intake.PressAsync(press, cancellationToken).ConfigureAwait(false);
        await bot.AnswerCallbackQuery(query.Id, result.Toast, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (message is null)
        {
            return;
        }

        if (result.Outcome == PressOutcome.Recorded)
        {
            var rating = result.Rating!;
            await bot.EditMessageReplyMarkup(message.Chat.Id, message.MessageId, Keyboard(intake, rating.Target, rating.TargetId, rating.Rating, rating.Expires), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else if (result.Outcome == PressOutcome.Expired && intake.IsAllowed(message.Chat.Id))
        {
            // Buttons that can no longer work are taken away rather than left to refuse every tap.
            await bot.EditMessageReplyMarkup(message.Chat.Id, message.MessageId, replyMarkup: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private void Failed(Exception exception, string doing)
    {
        var reason = Redact(exception is ApiRequestException api ? $"Telegram answered {api.ErrorCode}: {api.Message}" : $"{exception.Message} ({exception.InnerException?.Message})", options.BotToken);
        Log.Failed(logger, doing, reason);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 910, Level = LogLevel.Information, Message = "feedback bot: long polling for button taps")]
        public static partial void Polling(ILogger logger);

        [LoggerMessage(EventId = 911, Level = LogLevel.Information, Message = "feedback bot: webhook set to {Url}")]
        public static partial void WebhookSet(ILogger logger, string url);

        [LoggerMessage(EventId = 912, Level = LogLevel.Warning, Message = "feedback bot: {Doing} failed: {Reason}")]
        public static partial void Failed(ILogger logger, string doing, string reason);
    }
}
