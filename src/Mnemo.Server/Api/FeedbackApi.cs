using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Mnemo.Feedback;

namespace Mnemo.Server.Api;

/// <summary>
/// <c>POST /v1/feedback</c>: a 👍/👎 from a Telegram button (its signed callback data, forwarded
/// by the bridge plugin or the feedback bot) or a direct rating; <c>GET /v1/feedback/weeks</c>:
/// approval per week. Forged, altered, expired or replayed buttons and chats not allowed to rate are
/// refused and logged (never with the key or the data).
/// </summary>
public static partial class FeedbackApi
{
    public static IEndpointRouteBuilder MapFeedbackApi(this IEndpointRouteBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        v1.MapPost("/feedback", RateAsync);
        v1.MapGet("/feedback/weeks", WeeksAsync);
        return v1;
    }

    private static async Task<IResult> RateAsync(HttpRequest http, MemoryEngine engine, CallbackReplayGuard replays, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync(http, AutomationJsonContext.Default.FeedbackRequestJson, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var logger = loggers.CreateLogger("Mnemo.Feedback");
        var options = engine.Options.Feedback;
        var now = time.GetUtcNow();
        FeedbackTarget target;
        long targetId;
        int rating;
        string who;
        string channel;
        if (body!.CallbackData is { } data)
        {
            SignedRating signed;
            try
            {
                signed = CallbackData.Verify(data, now, System.Text.Encoding.UTF8.GetBytes(options.Key));
            }
            catch (CallbackRejectedException ex)
            {
                Log.Refused(logger, body.ChatId, ex.Message);
                return RequestBody.Error(StatusCodes.Status403Forbidden, "rejected", ex.Message, "callbackData");
            }

            if (body.ChatId is not { } chat || options.AllowedChats?.Contains(chat) != true)
            {
                Log.Refused(logger, body.ChatId, "chat not allowed to rate");
                return RequestBody.Error(StatusCodes.Status403Forbidden, "chat_not_allowed", $"chat {body.ChatId} is not in Feedback:AllowedChats", "chatId");
            }

            if (body.CallbackQueryId is { Length: > 0 } query && !replays.FirstTime(query, now, options.ButtonLifetime))
            {
                Log.Refused(logger, chat, "callback replayed");
                return RequestBody.Error(StatusCodes.Status409Conflict, "replayed", "this button press was already counted", "callbackQueryId");
            }

            (target, targetId, rating) = (signed.Target, signed.TargetId, signed.Rating);
            who = $"telegram:{body.User ?? chat.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
            channel = "telegram";
        }
        else
        {
            try
            {
                target = FeedbackStore.ParseKind(body.Target ?? string.Empty);
            }
            catch (ArgumentException ex)
            {
                return RequestBody.Invalid(ex.Message, "target");
            }

            if (body.TargetId is not { } id || id <= 0)
            {
                return RequestBody.Invalid("targetId is required (the digest, signal, memory or context id)", "targetId");
            }

            if (body.Rating is not ("up" or "down"))
            {
                return RequestBody.Invalid("rating must be \"up\" or \"down\"", "rating");
            }

            (targetId, rating) = (id, body.Rating == "up" ? 1 : -1);
            who = body.User is { Length: > 0 and <= 128 } user ? user : "api";
            channel = body.Channel is { Length: > 0 and <= 32 } via ? via : "api";
        }

        if (target == FeedbackTarget.Memory && (await engine.GetMemoriesAsync([targetId], cancellationToken).ConfigureAwait(false)).Count == 0)
        {
            return RequestBody.Error(StatusCodes.Status404NotFound, "not_found", $"no memory {targetId}", "targetId");
        }

        if (body.Comment is { Length: > 1000 })
        {
            return RequestBody.Invalid("comment must be at most 1000 characters", "comment");
        }

        var (record, changed) = await engine.Feedback.RecordAsync(target, targetId, rating, body.Comment, who, channel, now, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new FeedbackResponseJson(FeedbackStore.KindName(record.Target), record.TargetId, record.Rating > 0 ? "up" : "down", changed), AutomationJsonContext.Default.FeedbackResponseJson);
    }

    private static async Task<IResult> WeeksAsync(MemoryEngine engine, TimeProvider time, CancellationToken cancellationToken)
    {
        var weeks = await engine.Feedback.WeeksAsync(time.GetUtcNow() - TimeSpan.FromDays(engine.Options.Feedback.KeepDays), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new FeedbackWeeksJson([.. weeks.Select(w => new FeedbackWeekJson(w.WeekStart.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), FeedbackStore.KindName(w.Target), w.Up, w.Down, Math.Round(w.Approval, 3)))]), AutomationJsonContext.Default.FeedbackWeeksJson);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "refused a feedback button from chat {Chat}: {Reason}")]
        public static partial void Refused(ILogger logger, long? chat, string reason);
    }
}

/// <summary>
/// The callback query ids already counted (Telegram gives each press its own id), so a press
/// delivered twice counts once. Ids older than a button's lifetime are forgotten: the button's own
/// expiry refuses them anyway.
/// </summary>
public sealed class CallbackReplayGuard
{
    private const int Remembered = 10_000;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    public bool FirstTime(string callbackQueryId, DateTimeOffset now, TimeSpan lifetime)
    {
        if (!_seen.TryAdd(callbackQueryId, now))
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
