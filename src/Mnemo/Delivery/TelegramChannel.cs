using System.Text.RegularExpressions;
using Mnemo.Feedback;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace Mnemo.Delivery;

/// <summary>Telegram straight from Mnemo (config section <c>Delivery:Telegram</c>): a bot of its own, not OpenClaw's.</summary>
public sealed record TelegramDeliveryOptions
{
    /// <summary>The bot token from BotFather; delivery to Telegram is off without it. Never logged.</summary>
    public string? BotToken { get; set; }

    /// <summary>The chat digests and signals go to (the user's id, or a group's).</summary>
    public long? ChatId { get; set; }

    /// <summary>The Bot API server; a local Bot API server or a test stand-in may replace Telegram's.</summary>
    public string? ApiBaseUrl { get; set; }

    /// <summary>Put 👍/👎 buttons under every digest and signal (on by default).</summary>
    public bool Buttons { get; set; } = true;

    /// <summary>
    /// How the bot hears the taps: <c>polling</c> (default; long polling, nothing to expose),
    /// <c>webhook</c> (Telegram posts to <see cref="WebhookUrl"/>, which must reach
    /// <c>/telegram/webhook</c> of <c>mnemo serve</c>), or <c>none</c> (send only: use it when
    /// the token is OpenClaw's bot, whose taps the bridge plugin forwards).
    /// </summary>
    public string Mode { get; set; } = TelegramModes.Polling;

    /// <summary>The public HTTPS address Telegram posts updates to in webhook mode.</summary>
    public string? WebhookUrl { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(BotToken) && ChatId is not null;

    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public void Validate()
    {
        if (Mode is not (TelegramModes.Polling or TelegramModes.Webhook or TelegramModes.None))
        {
            throw new ArgumentException($"Delivery:Telegram:Mode: '{Mode}' is not a mode; use {TelegramModes.Polling}, {TelegramModes.Webhook} or {TelegramModes.None}");
        }

        if (ApiBaseUrl is { Length: > 0 } botApi && !Uri.TryCreate(botApi, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"Delivery:Telegram:ApiBaseUrl: '{botApi}' is not a URL (leave it out for Telegram's own server)");
        }

        if (Mode == TelegramModes.Webhook && IsConfigured && !Uri.TryCreate(WebhookUrl, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"Delivery:Telegram:WebhookUrl: '{WebhookUrl}' is not a URL; webhook mode needs the public https address that reaches /telegram/webhook of mnemo serve");
        }
    }
}

/// <summary>The values of <see cref="TelegramDeliveryOptions.Mode"/>.</summary>
public static class TelegramModes
{
    public const string Polling = "polling";
    public const string Webhook = "webhook";
    public const string None = "none";
}

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
