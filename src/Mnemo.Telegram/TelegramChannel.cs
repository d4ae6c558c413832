using System.Text.RegularExpressions;
using Mnemo.Feedback;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace Mnemo.Delivery;

/// <summary>
/// Sends digests and signals as plain-text Telegram messages through the Bot API (NuGet
/// <c>Telegram.Bot</c>), each with signed 👍/👎 buttons when feedback is on; the taps come back to
/// <see cref="TelegramFeedbackBot"/> (or, on OpenClaw's bot, to the bridge plugin).
/// </summary>
public sealed partial class TelegramChannel(ITelegramBotClient bot, TelegramDeliveryOptions options, FeedbackIntake? intake) : IDeliveryChannel
{
    /// <summary>Telegram's limit for one message's text.</summary>
    public const int MaxMessageChars = 4096;

    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(30);

    public string Name => "telegram";

    public async Task DeliverAsync(DeliveryMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = PlainText(message.Text);
        var keyboard = options.Buttons && intake is not null && TelegramFeedbackBot.TargetOf(message.Handle) is { } target
            ? TelegramFeedbackBot.Keyboard(intake, target.Kind, target.Id, chosen: null, expires: null)
            : null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SendTimeout);
        try
        {
            await bot.SendMessage(options.ChatId!.Value, text.Length <= MaxMessageChars ? text : string.Concat(text.AsSpan(0, MaxMessageChars - 1), "…"), replyMarkup: keyboard, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (ApiRequestException ex)
        {
            // The Bot API's own description, never the request URL (it holds the token).
            throw new HttpRequestException($"Telegram refused the message ({ex.ErrorCode}): {TelegramFeedbackBot.Redact(ex.Message, options.BotToken)}", null);
        }
        catch (RequestException ex)
        {
            throw new HttpRequestException(TelegramFeedbackBot.Redact($"Telegram could not be reached: {ex.Message} ({ex.InnerException?.GetType().Name}: {ex.InnerException?.Message})", options.BotToken), null);
        }
    }

    /// <summary>The digest's Markdown as plain text: headings and bold markers dropped, lines kept.</summary>
    public static string PlainText(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var text = Heading().Replace(markdown, "$1:");
        return text.Replace("**", string.Empty, StringComparison.Ordinal).Trim();
    }

    [GeneratedRegex(@"^#{1,6}\s+(.+)$", RegexOptions.Multiline, 200)]
    private static partial Regex Heading();
}

/// <summary>Mnemo's Bot API client: the configured token and server over the host's HTTP client.</summary>
public static class TelegramBotClients
{
    /// <param name="http">The host's <see cref="MnemoHttpClients.Telegram"/> client: its timeout outlasts a long poll.</param>
    public static ITelegramBotClient Create(TelegramDeliveryOptions telegram, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(telegram);
        if (!telegram.IsConfigured)
        {
            throw new ArgumentException("Delivery:Telegram needs BotToken and ChatId", nameof(telegram));
        }

        var server = string.IsNullOrWhiteSpace(telegram.ApiBaseUrl) ? null : telegram.ApiBaseUrl.TrimEnd('/');
        return new TelegramBotClient(new TelegramBotClientOptions(telegram.BotToken!, server), http);
    }
}
