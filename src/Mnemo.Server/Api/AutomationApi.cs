using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mnemo.Digests;
using Mnemo.Language;
using Mnemo.Scheduling;
using Mnemo.Signals;

namespace Mnemo.Server.Api;

/// <summary>Digests, signals, three-pass prompting and the job schedule over HTTP.</summary>
public static class AutomationApi
{
    public const int MaxTaskChars = 8_000;
    public const int MaxSourceIds = 200;

    public static IEndpointRouteBuilder MapAutomationApi(this IEndpointRouteBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        v1.MapGet("/digests", DigestsAsync);
        v1.MapGet("/digests/{id:long}", DigestAsync);
        v1.MapGet("/signals", SignalsAsync);
        v1.MapPost("/threepass", ThreePassAsync);
        v1.MapGet("/threepass/{id:long}", ThreePassRunAsync);
        v1.MapGet("/jobs", JobsAsync);
        v1.MapPost("/jobs/{name}/run", RunJobAsync);
        return v1;
    }

    private static async Task<IResult> DigestsAsync(Automation automation, string? kind, string? agent, int? limit, CancellationToken cancellationToken)
    {
        var take = limit ?? 20;
        if (take is < 1 or > 500)
        {
            return RequestBody.Invalid($"limit must be between 1 and 500, not {take}", "limit");
        }

        var parsed = DigestStore.ParseKind(kind);
        if (kind is not null && parsed is null)
        {
            return RequestBody.Invalid($"kind must be hourly, daily or weekly, not '{kind}'", "kind");
        }

        var list = await automation.Digests.Store.LatestAsync(parsed, agent, take, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new DigestListJson([.. list.Select(ToJson)]), AutomationJsonContext.Default.DigestListJson);
    }

    private static async Task<IResult> DigestAsync(long id, Automation automation, CancellationToken cancellationToken) =>
        await automation.Digests.Store.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } digest
            ? TypedResults.Json(ToJson(digest), AutomationJsonContext.Default.DigestJson)
            : RequestBody.Error(StatusCodes.Status404NotFound, "not_found", $"no digest {id}", "id");

    private static async Task<IResult> SignalsAsync(Automation automation, TimeProvider time, string? kind, string? agent, DateTimeOffset? since, int? limit, CancellationToken cancellationToken)
    {
        var take = limit ?? 50;
        if (take is < 1 or > 500)
        {
            return RequestBody.Invalid($"limit must be between 1 and 500, not {take}", "limit");
        }

        var list = await automation.Signals.Store.ListAsync(since ?? time.GetUtcNow() - TimeSpan.FromDays(7), kind, agent, take, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new SignalListJson([.. list.Select(ToJson)]), AutomationJsonContext.Default.SignalListJson);
    }

    private static async Task<IResult> ThreePassAsync(HttpRequest http, Automation automation, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync(http, AutomationJsonContext.Default.ThreePassRequestJson, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (string.IsNullOrWhiteSpace(body!.Task) || body.Task.Length > MaxTaskChars)
        {
            return RequestBody.Invalid($"task is required: what to write, at most {MaxTaskChars} characters", "task");
        }

        if (body.MemoryIds is { Count: > MaxSourceIds })
        {
            return RequestBody.Invalid($"at most {MaxSourceIds} memoryIds", "memoryIds");
        }

        if (body.K is < 1 or > 50)
        {
            return RequestBody.Invalid($"k must be between 1 and 50, not {body.K}", "k");
        }

        if (body.Query is { Length: > MnemoApi.MaxQueryChars })
        {
            return RequestBody.Invalid($"query must be at most {MnemoApi.MaxQueryChars} characters", "query");
        }

        if (!automation.Model.IsConfigured)
        {
            return RequestBody.Error(StatusCodes.Status503ServiceUnavailable, "no_model", "no language model is configured; set Model:Provider, Model:Model and Model:Endpoint in config.json");
        }

        try
        {
            var run = await automation.RunThreePassAsync("api", body.Task, body.Query, body.MemoryIds, body.Agent, body.K ?? 10, cancellationToken).ConfigureAwait(false);
            return TypedResults.Json(ToJson(run), AutomationJsonContext.Default.ThreePassJson);
        }
        catch (ArgumentException ex)
        {
            return RequestBody.Invalid(ex.Message);
        }
        catch (LanguageModelException ex)
        {
            return RequestBody.Error(StatusCodes.Status502BadGateway, "model_failed", ex.Message);
        }
    }

    private static async Task<IResult> ThreePassRunAsync(long id, Automation automation, CancellationToken cancellationToken) =>
        await automation.PromptRuns.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } run
            ? TypedResults.Json(ToJson(run), AutomationJsonContext.Default.ThreePassJson)
            : RequestBody.Error(StatusCodes.Status404NotFound, "not_found", $"no three-pass run {id}", "id");

    private static async Task<IResult> JobsAsync(Automation automation, CancellationToken cancellationToken)
    {
        var jobs = await automation.Scheduler.ListAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new JobListJson(automation.Scheduler.TimeZone.Id, [.. jobs.Select(ToJson)]), AutomationJsonContext.Default.JobListJson);
    }

    private static async Task<IResult> RunJobAsync(string name, Automation automation, CancellationToken cancellationToken)
    {
        try
        {
            var run = await automation.Scheduler.RunNowAsync(name, cancellationToken).ConfigureAwait(false);
            return TypedResults.Json(
                new JobRunJson(run.Job, JobStore.TriggerName(run.Trigger), run.Attempt, run.Started, run.Finished, run.Succeeded, run.Detail),
                AutomationJsonContext.Default.JobRunJson,
                statusCode: run.Succeeded ? StatusCodes.Status200OK : StatusCodes.Status500InternalServerError);
        }
        catch (ArgumentException ex)
        {
            return RequestBody.Error(StatusCodes.Status404NotFound, "not_found", ex.Message, "name");
        }
        catch (InvalidOperationException ex)
        {
            return RequestBody.Error(StatusCodes.Status409Conflict, "running", ex.Message, "name");
        }
    }

    public static DigestJson ToJson(Digest d) => new(
        d.Id, d.Handle, DigestStore.KindName(d.Kind), d.Agent, d.PeriodStart, d.PeriodEnd, d.Method, d.Text,
        [.. d.Lines.Select(l => new DigestLineJson(l.Section, l.Text, [.. l.MemoryIds]))], d.Sources, d.MemoryId, d.PromptRunId, d.CreatedAt, d.DeliveredAt);

    public static SignalJson ToJson(Signal s) => new(
        s.Id, s.Handle, s.Kind, s.Severity, s.Title, [.. s.Agents], [.. s.Evidence], s.DueAt, s.FirstSeen, s.LastSeen, s.Detections, s.DeliveredAt);

    internal static ThreePassJson ToJson(ThreePassRun r) => new(
        r.Id, r.Purpose, r.Task, [.. r.SourceIds], r.CreatedAt, r.Outcome, r.Draft, r.Critique, r.Refined, r.Error,
        [.. r.Passes.Select(p => new PromptPassJson(p.Name, p.Prompt, p.Output, p.InputTokens, p.OutputTokens, p.Latency.TotalMilliseconds))]);

    internal static JobJson ToJson(ScheduledJobInfo j) => new(
        j.Name, j.Description, j.Cron, j.Enabled, j.Available, j.State.NextRun, j.State.LastStarted, j.State.LastFinished,
        j.State.LastDuration?.TotalMilliseconds, j.State.LastOutcome, j.State.LastDetail, j.State.Failures);
}
