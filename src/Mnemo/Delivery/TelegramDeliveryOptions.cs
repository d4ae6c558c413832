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
