using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mnemo.Delivery;
using Mnemo.Feedback;

namespace Mnemo.Server.Api;

/// <summary>
/// <c>POST /v1/feedback</c>: a 👍/👎 from a Telegram button (its signed callback data, forwarded
/// by the bridge plugin or the feedback bot) or a direct rating; <c>GET /v1/feedback/weeks</c>:
/// approval per week. Forged, altered, expired or replayed buttons and chats not allowed to rate are
/// refused and logged (never with the key or the data).
/// </summary>
public static class FeedbackApi
{
    public static IEndpointRouteBuilder MapFeedbackApi(this IEndpointRouteBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        v1.MapPost("/feedback", RateAsync);
        v1.MapGet("/feedback/weeks", WeeksAsync);
        return v1;
    }

    private static async Task<IResult> RateAsync(HttpRequest http, MemoryEngine engine, FeedbackIntake intake, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync(http, AutomationJsonContext.Default.FeedbackRequestJson, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (body!.CallbackData is { } data)
        {
            var press = await intake.PressAsync(new ButtonPress(data, body.CallbackQueryId, body.ChatId, body.User), cancellationToken).ConfigureAwait(false);
            return press.Outcome switch
            {
                PressOutcome.Recorded or PressOutcome.Unchanged => Rated(press.Record!, press.Outcome == PressOutcome.Recorded, press.Toast, [.. intake.Buttons(press.Rating!.Target, press.Rating.TargetId, press.Rating.Rating, press.Rating.Expires).Select(b => new FeedbackButtonJson(b.Text, b.Data))]),
                PressOutcome.ChatNotAllowed => RequestBody.Error(StatusCodes.Status403Forbidden, "chat_not_allowed", press.Reason, "chatId"),
                PressOutcome.Replayed => RequestBody.Error(StatusCodes.Status409Conflict, "replayed", press.Reason, "callbackQueryId"),
                PressOutcome.Expired => RequestBody.Error(StatusCodes.Status403Forbidden, "expired", press.Reason, "callbackData"),
                _ => RequestBody.Error(StatusCodes.Status403Forbidden, "rejected", press.Reason, "callbackData"),
            };
        }

        FeedbackTarget target;
        try
        {
            target = FeedbackStore.ParseKind(body.Target ?? string.Empty);
        }
        catch (ArgumentException ex)
        {
            return RequestBody.Invalid(ex.Message, "target");
        }

        if (body.TargetId is not { } targetId || targetId <= 0)
        {
            return RequestBody.Invalid("targetId is required (the digest, signal, memory or context id)", "targetId");
        }

        if (body.Rating is not ("up" or "down"))
        {
            return RequestBody.Invalid("rating must be \"up\" or \"down\"", "rating");
        }

        if (body.Comment is { Length: > 1000 })
        {
            return RequestBody.Invalid("comment must be at most 1000 characters", "comment");
        }

        if (target == FeedbackTarget.Memory && (await engine.GetMemoriesAsync([targetId], cancellationToken).ConfigureAwait(false)).Count == 0)
        {
            return RequestBody.Error(StatusCodes.Status404NotFound, "not_found", $"no memory {targetId}", "targetId");
        }

        var who = body.User is { Length: > 0 and <= 128 } user ? user : "api";
        var channel = body.Channel is { Length: > 0 and <= 32 } via ? via : "api";
        var (record, changed) = await engine.Feedback.RecordAsync(target, targetId, body.Rating == "up" ? 1 : -1, body.Comment, who, channel, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return Rated(record, changed, null, null);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<FeedbackResponseJson> Rated(FeedbackRecord record, bool changed, string? toast, IReadOnlyList<FeedbackButtonJson>? buttons) =>
        TypedResults.Json(new FeedbackResponseJson(FeedbackStore.KindName(record.Target), record.TargetId, record.Rating > 0 ? "up" : "down", changed, toast, buttons), AutomationJsonContext.Default.FeedbackResponseJson);

    private static async Task<IResult> WeeksAsync(MemoryEngine engine, TimeProvider time, CancellationToken cancellationToken)
    {
        var weeks = await engine.Feedback.WeeksAsync(time.GetUtcNow() - TimeSpan.FromDays(engine.Options.Feedback.KeepDays), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new FeedbackWeeksJson([.. weeks.Select(w => new FeedbackWeekJson(w.WeekStart.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), FeedbackStore.KindName(w.Target), w.Up, w.Down, Math.Round(w.Approval, 3)))]), AutomationJsonContext.Default.FeedbackWeeksJson);
    }

}
