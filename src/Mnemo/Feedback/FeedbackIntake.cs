using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Mnemo.Feedback;

/// <summary>A tap on a 👍/👎 button, as Telegram reported it (to Mnemo's bot, or to OpenClaw's and forwarded).</summary>
/// <param name="Data">The button's callback data.</param>
/// <param name="QueryId">Telegram's id of this tap (each tap has its own); a tap seen twice counts once.</param>
/// <param name="ChatId">The chat the button's message is in.</param>
/// <param name="User">Who tapped (Telegram user id or name).</param>
public sealed record ButtonPress(string Data, string? QueryId, long? ChatId, string? User);

/// <summary>What became of a tap.</summary>
public enum PressOutcome
{
    /// <summary>The vote was stored (new, or a change of mind).</summary>
    Recorded,

    /// <summary>The same vote was already stored.</summary>
    Unchanged,

    /// <summary>The button's data was forged, altered or malformed.</summary>
    Rejected,

    /// <summary>The button is older than its lifetime.</summary>
    Expired,

    /// <summary>The chat is not one allowed to rate.</summary>
    ChatNotAllowed,

    /// <summary>This very tap was already counted.</summary>
    Replayed,
}

/// <summary>The outcome of a tap, what it rated when its data checked out, and the short text the user sees.</summary>
public sealed record PressResult(PressOutcome Outcome, string Reason, SignedRating? Rating = null, FeedbackRecord? Record = null)
{
    public bool Counted => Outcome is PressOutcome.Recorded or PressOutcome.Unchanged;

    /// <summary>The toast Telegram shows on the tap (at most 200 characters).</summary>
    public string Toast => Outcome switch
    {
        PressOutcome.Recorded when Rating!.Rating > 0 => "Noted 👍 Thanks: Mnemo will keep more like this.",
        PressOutcome.Recorded => "Noted 👎 Mnemo will show less like this.",
        PressOutcome.Unchanged => Rating!.Rating > 0 ? "Already noted 👍" : "Already noted 👎",
        PressOutcome.Expired => "This button has expired.",
        PressOutcome.ChatNotAllowed => "This chat may not rate Mnemo (it is not in Feedback:AllowedChats).",
        PressOutcome.Replayed => "Already counted.",
        _ => "This button is not valid.",
    };
}

/// <summary>
/// Turns button taps into votes, the same way for Mnemo's own feedback bot and for callbacks the
/// OpenClaw bridge forwards: the data's signature and expiry are checked, the chat must be allowed
/// (<c>Feedback:AllowedChats</c>, plus the chat Mnemo delivers digests to), and a tap Telegram
/// delivers twice counts once. Every refusal is logged with its reason, never with the key or the data.
/// </summary>
public sealed partial class FeedbackIntake(FeedbackStore store, FeedbackOptions options, long? deliveryChat, TimeProvider time, ILogger<FeedbackIntake> logger)
{
    private readonly ReplayGuard _replays = new();
    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Key);

    public FeedbackOptions Options => options;

    /// <summary>Whether votes from this chat count.</summary>
    public bool IsAllowed(long chat) => chat == deliveryChat || options.AllowedChats?.Contains(chat) == true;

    /// <summary>Signed data for a 👍 or 👎 button on <paramref name="target"/>, valid for <see cref="FeedbackOptions.ButtonLifetime"/>.</summary>
    public string Sign(FeedbackTarget target, long targetId, int rating, DateTimeOffset? expires = null) =>
        CallbackData.Sign(target, targetId, rating, expires ?? time.GetUtcNow() + options.ButtonLifetime, _key);

    /// <summary>
    /// The 👍/👎 buttons' labels and signed data under a digest, signal or notice; the vote already
    /// recorded through them is marked. Telegram's keyboard and the bridge plugin (which redraws
    /// OpenClaw's own message) draw the same two.
    /// </summary>
    public IReadOnlyList<(string Text, string Data)> Buttons(FeedbackTarget target, long targetId, int? chosen, DateTimeOffset? expires) =>
    [
        (chosen > 0 ? "✅ 👍 Useful" : "👍 Useful", Sign(target, targetId, 1, expires)),
        (chosen < 0 ? "✅ 👎 Not useful" : "👎 Not useful", Sign(target, targetId, -1, expires)),
    ];

    public async Task<PressResult> PressAsync(ButtonPress press, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(press);
        var now = time.GetUtcNow();
        if (_key.Length == 0)
        {
            // Without a key any data would "verify": no button counts until Auth:FeedbackKey exists.
            return Refuse(press, PressOutcome.Rejected, "feedback buttons are off: there is no Auth:FeedbackKey in config.json");
        }

        SignedRating signed;
        try
        {
            signed = CallbackData.Verify(press.Data, now, _key);
        }
        catch (CallbackRejectedException ex)
        {
            return Refuse(press, ex.Expired ? PressOutcome.Expired : PressOutcome.Rejected, ex.Message);
        }

        if (press.ChatId is not { } chat || !IsAllowed(chat))
        {
            return Refuse(press, PressOutcome.ChatNotAllowed, $"chat {press.ChatId?.ToString(CultureInfo.InvariantCulture) ?? "(none)"} is not in Feedback:AllowedChats");
        }

        if (press.QueryId is { Length: > 0 } query && !_replays.FirstTime(query, now, options.ButtonLifetime))
        {
            return Refuse(press, PressOutcome.Replayed, "this button press was already counted");
        }

        var who = $"telegram:{(press.User is { Length: > 0 and <= 64 } user ? user : chat.ToString(CultureInfo.InvariantCulture))}";
        var (record, changed) = await store.RecordAsync(signed.Target, signed.TargetId, signed.Rating, null, who, "telegram", now, cancellationToken).ConfigureAwait(false);
        Log.Counted(logger, signed.Target, signed.TargetId, signed.Rating, chat);
        return new PressResult(changed ? PressOutcome.Recorded : PressOutcome.Unchanged, changed ? "recorded" : "already recorded", signed, record);
    }

    private PressResult Refuse(ButtonPress press, PressOutcome outcome, string reason)
    {
        Log.Refused(logger, press.ChatId, reason);
        return new PressResult(outcome, reason);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "refused a feedback button from chat {Chat}: {Reason}")]
        public static partial void Refused(ILogger logger, long? chat, string reason);

        [LoggerMessage(EventId = 901, Level = LogLevel.Information, Message = "feedback: {Kind} {Id} rated {Rating:+0;-0} from chat {Chat}")]
        public static partial void Counted(ILogger logger, FeedbackTarget kind, long id, int rating, long chat);
    }

    /// <summary>
    /// The tap ids already counted. Ids older than a button's lifetime are forgotten: the button's
    /// own expiry refuses them anyway.
    /// </summary>
    private sealed class ReplayGuard
    {
        private const int Remembered = 10_000;
        private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

        public bool FirstTime(string queryId, DateTimeOffset now, TimeSpan lifetime)
        {
            if (!_seen.TryAdd(queryId, now))
            {
                return false;
            }

            if (_seen.Count > Remembered)
            {
                foreach (var old in _seen.Where(p => p.Value < now - lifetime).Select(p => p.Key).ToList())
                {
                    _seen.TryRemove(old, out _);
                }
            }

            return true;
        }
    }
}
