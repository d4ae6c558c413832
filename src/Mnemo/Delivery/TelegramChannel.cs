using System.Text.RegularExpressions;
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

    public bool IsConfigured => !string.IsNullOrWhiteSpace(BotToken) && ChatId is not null;
}

/// <summary>Sends digests and signals as plain-text Telegram messages through the Bot API (NuGet <c>Telegram.Bot</c>).</summary>
public sealed partial class TelegramChannel(HttpClient http, TelegramDeliveryOptions options) : IDeliveryChannel
{
    /// <summary>Telegram's limit for one message's text.</summary>
    public const int MaxMessageChars = 4096;

    private readonly TelegramBotClient _bot = new(new TelegramBotClientOptions(options.BotToken!, string.IsNullOrWhiteSpace(options.ApiBaseUrl) ? null : options.ApiBaseUrl.TrimEnd('/')), http);

    public string Name => "telegram";

    public async Task DeliverAsync(DeliveryMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = PlainText(message.Text);
        try
        {
            await _bot.SendMessage(options.ChatId!.Value, text.Length <= MaxMessageChars ? text : string.Concat(text.AsSpan(0, MaxMessageChars - 1), "…"), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ApiRequestException ex)
        {
            // The Bot API's own description, never the request URL (it holds the token).
            throw new HttpRequestException($"Telegram refused the message ({ex.ErrorCode}): {ex.Message}", null);
        }
        catch (RequestException ex)
        {
            throw new HttpRequestException($"Telegram could not be reached: {ex.Message} ({ex.InnerException?.GetType().Name}: {ex.InnerException?.Message})", null);
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
