using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mnemo.Domain;
using Mnemo.Retention;
using Mnemo.Search;
using Mnemo.Server.Hosting;
using Mnemo.Server.Live;
using Mnemo.Storage;

namespace Mnemo.Server.Api;

/// <summary>The HTTP API (DESIGN.md, "Contracts"). Every route but <c>/health</c> needs the token.</summary>
public static class MnemoApi
{
    public const int MaxPromptChars = 32_000;
    public const int MaxMessages = 500;
    public const int MaxMessageChars = 64_000;
    public const int MaxQueryChars = 4_000;
    public const int MaxTurnsPerRequest = 1_000;
    public const int MaxTurnChars = 256 * 1024;
    public const int MaxIdChars = 256;

    public static readonly string Version = typeof(MnemoApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    public static IEndpointRouteBuilder MapMnemoApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/health", HealthAsync);
        app.MapGet("/health/ready", ReadyAsync);
        app.MapGet("/health/live", () => TypedResults.Json(new HealthStatusJson("healthy"), ApiJsonContext.Default.HealthStatusJson));
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/ingest", IngestAsync);
        v1.MapPost("/search", SearchAsync);
        v1.MapPost("/context", ContextAsync);
        v1.MapPost("/events/{kind}", EventAsync);
        v1.MapGet("/compactions", CompactionsAsync);
        v1.MapPost("/remember", RememberAsync);
        v1.MapGet("/memories/{id:long}", GetMemoryAsync);
        v1.MapDelete("/memories/{id:long}", ForgetAsync);
        v1.MapPost("/forget", ForgetSelectedAsync);
        v1.MapAutomationApi();
        v1.MapVoiceApi();
        v1.MapFeedbackApi();
        return app;
    }

    /// <summary>The token holder gets a report made after asking (calls at the same time share one run).</summary>
    public static readonly TimeSpan ReportMaxAge = TimeSpan.Zero;

    /// <summary>
    /// The health report with every check (the token is required: it names paths, counts and
    /// failures): 200 when healthy or degraded, 503 when unhealthy.
    /// </summary>
    private static async Task<IResult> HealthAsync(HealthReportCache health, CancellationToken cancellationToken)
    {
        var report = await health.GetAsync(ReportMaxAge, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(
            MnemoHealth.ToJson(report, Version),
            ApiJsonContext.Default.HealthJson,
            statusCode: report.Status == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    /// <summary>
    /// Readiness, open without the token: the status alone, from the report the background checks
    /// last made (an anonymous caller never makes the checks run), 503 when unhealthy.
    /// </summary>
    private static async Task<IResult> ReadyAsync(HealthReportCache health, CancellationToken cancellationToken)
    {
        var report = await health.GetAsync(HealthReportCache.Period * 2, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(
            new HealthStatusJson(MnemoHealth.Name(report.Status)),
            ApiJsonContext.Default.HealthStatusJson,
            statusCode: report.Status == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    private static async Task<IResult> IngestAsync(HttpRequest http, MemoryEngine engine, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync(http, ApiJsonContext.Default.IngestRequestJson, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (body!.Turns is not { Count: > 0 } turns)
        {
            return RequestBody.Invalid("turns must be a non-empty array of {agent, session, id, role, text}", "turns");
        }

        if (turns.Count > MaxTurnsPerRequest)
        {
            return RequestBody.Invalid($"at most {MaxTurnsPerRequest} turns per request, not {turns.Count}", "turns");
        }

        var converted = new List<Turn>(turns.Count);
        for (var i = 0; i < turns.Count; i++)
        {
            var t = turns[i];
            string? Check(string? value, string name, bool required) =>
                value is null ? (required ? $"turns[{i}].{name} is required" : null)
                : value.Length > MaxIdChars ? $"turns[{i}].{name} is longer than {MaxIdChars} characters"
                : string.IsNullOrWhiteSpace(value) ? $"turns[{i}].{name} must not be blank" : null;
            var problem = t is null ? $"turns[{i}] must be an object"
                : Check(t.Agent, "agent", true) ?? Check(t.Session, "session", true) ?? Check(t.Id, "id", true) ?? Check(t.Role, "role", true)
                ?? Check(t.ParentId, "parentId", false) ?? Check(t.Speaker, "speaker", false)
                ?? (Roles.Normalize(t.Role) is null ? $"turns[{i}].role must be one of {string.Join(", ", Roles.Accepted)}, not \"{Mnemo.Text.Fence.Label(t.Role)}\"" : null)
                ?? (t.Text is null ? $"turns[{i}].text is required" : t.Text.Length > MaxTurnChars ? $"turns[{i}].text is longer than {MaxTurnChars} characters" : null);
            if (problem is not null)
            {
                return RequestBody.Invalid(problem, $"turns[{i}]");
            }

            if (string.IsNullOrWhiteSpace(t!.Text))
            {
                continue;
            }

            var timestamp = t.Timestamp ?? time.GetUtcNow();
            converted.Add(new Turn(t.Agent!, t.Session!, t.Id!, t.ParentId, Roles.Normalize(t.Role)!, t.Text.Trim(), timestamp, body.Source ?? "api", timestamp.ToUnixTimeMilliseconds(), new TurnProvenance(t.Speaker, null, t.Untrusted ?? false)));
        }

        if (http.Query.TryGetValue("queued", out var queued) && queued == "true")
        {
            // Embedding is the slow part: on a shared store any node with time to spare does it.
            if (http.HttpContext.RequestServices.GetService(typeof(Mnemo.Postgres.SharedWork)) is not Mnemo.Postgres.SharedWork work)
            {
                return RequestBody.Invalid("queued=true needs a store shared by several nodes (Store:Provider postgres); without it, leave queued out", "queued");
            }

            var id = await work.EnqueueAsync(Mnemo.Postgres.SharedWorkWorker.IngestKind, Mnemo.Postgres.SharedWorkWorker.IngestPayload(new Mnemo.Postgres.IngestWork($"api#{body.Source ?? "api"}", converted)), cancellationToken).ConfigureAwait(false);
            return TypedResults.Json(new QueuedJson(id, converted.Count), ApiJsonContext.Default.QueuedJson, statusCode: StatusCodes.Status202Accepted);
        }

        var summary = await engine.IngestTurnsAsync($"api#{body.Source ?? "api"}", "api", converted, cancellationToken).ConfigureAwait(false);

        return TypedResults.Json(new IngestResponseJson(summary.TurnsRead, summary.Added, summary.Updated, summary.Unchanged), ApiJsonContext.Default.IngestResponseJson);
    }

    private static async Task<IResult> SearchAsync(HttpRequest http, MemoryEngine engine, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync(http, ApiJsonContext.Default.SearchRequestJson, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (string.IsNullOrWhiteSpace(body!.Query))
        {
            return RequestBody.Invalid("query is required and must not be blank", "query");
        }

        if (body.Query.Length > MaxQueryChars)
        {
            return RequestBody.Invalid($"query is longer than {MaxQueryChars} characters", "query");
        }

        var k = body.K ?? 10;
        if (SearchRequest.CheckK(k) is { } problem)
        {
            return RequestBody.Invalid(problem, "k");
        }

        var hits = await engine.SearchAsync(new SearchRequest(body.Query, k, new MemoryFilter(body.Agent, body.Session, Since: body.Since, Until: body.Until)), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new SearchResponseJson(hits.Select(h => h.ToJson()).ToList()), ApiJsonContext.Default.SearchResponseJson);
    }

    private static async Task<IResult> ContextAsync(HttpRequest http, MemoryEngine engine, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (body, error) = await RequestBody.ReadAsync(http, ApiJsonContext.Default.ContextRequestJson, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (body!.Prompt is null)
        {
            return RequestBody.Invalid("prompt is required (the user's message for this turn)", "prompt");
        }

        if (body.Prompt.Length > MaxPromptChars)
        {
            return RequestBody.Invalid($"prompt is longer than {MaxPromptChars} characters", "prompt");
        }

        if (body.SessionId is { Length: > MaxIdChars } || body.SessionKey is { Length: > MaxIdChars } || body.AgentId is { Length: > MaxIdChars })
        {
            return RequestBody.Invalid($"sessionId, sessionKey and agentId must be at most {MaxIdChars} characters");
        }

        if (body.Messages is { } messages && (messages.Count > MaxMessages || messages.Any(m => m is null || m.Length > MaxMessageChars)))
        {
            return RequestBody.Invalid($"messages must be at most {MaxMessages} strings of at most {MaxMessageChars} characters each", "messages");
        }

        if (body.TokenBudget is { } budget && budget is < 0 or > 100_000)
        {
            return RequestBody.Invalid($"tokenBudget must be between 0 and 100000, not {budget}", "tokenBudget");
        }

        var agent = body.AgentId ?? HostEvents.AgentFromSessionKey(body.SessionKey) ?? "main";
        var context = await engine.BuildContextAsync(new RetainedContextRequest(agent, body.SessionId, body.SessionKey, body.Prompt, body.Messages, body.TokenBudget), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(
            new ContextResponseJson(context.Text, context.Tokens, context.CompactionId, context.Items.Select(i => i.ToJson()).ToList(), Math.Round(clock.Elapsed.TotalMilliseconds, 2)),
            ApiJsonContext.Default.ContextResponseJson);
    }

    private static async Task<IResult> EventAsync(string kind, HttpRequest http, HostEvents events, CancellationToken cancellationToken)
    {
        if (!HostEvents.Kinds.Contains(kind))
        {
            return RequestBody.Error(StatusCodes.Status404NotFound, "unknown_event", $"unknown event kind '{kind}'; known kinds: {string.Join(", ", HostEvents.Kinds)}", "kind");
        }

        var (body, error) = await RequestBody.ReadAsync(http, ApiJsonContext.Default.JsonElement, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        try
        {
            var compaction = await events.HandleAsync(kind, body, cancellationToken).ConfigureAwait(false);
            return TypedResults.Json(new EventResponseJson(kind, true, compaction?.Id), ApiJsonContext.Default.EventResponseJson);
        }
        catch (ArgumentException ex)
        {
            return RequestBody.Invalid(ex.Message);
        }
    }

    private static async Task<IResult> CompactionsAsync(MemoryEngine engine, string? agent, string? session, DateTimeOffset? since, int? limit, CancellationToken cancellationToken)
    {
        var take = limit ?? 20;
        if (take is < 1 or > 500)
        {
            return RequestBody.Invalid($"limit must be between 1 and 500, not {take}", "limit");
        }

        var list = await engine.Compactions.ListAsync(agent, session, since, take, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new CompactionListJson(list.Select(c => c.ToJson()).ToList()), ApiJsonContext.Default.CompactionListJson);
    }

    private static async Task<IResult> RememberAsync(HttpRequest http, MemoryEngine engine, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync(http, ApiJsonContext.Default.RememberRequestJson, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (string.IsNullOrWhiteSpace(body!.Text) || body.Text.Length > MaxTurnChars)
        {
            return RequestBody.Invalid($"text is required, at most {MaxTurnChars} characters", "text");
        }

        var memory = await engine.RememberAsync(body.Agent ?? "main", body.Text, "api", cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(memory.ToJson(), ApiJsonContext.Default.MemoryJson);
    }

    private static async Task<IResult> GetMemoryAsync(long id, MemoryEngine engine, CancellationToken cancellationToken)
    {
        var found = await engine.GetMemoriesAsync([id], cancellationToken).ConfigureAwait(false);
        return found.Count == 0
            ? RequestBody.Error(StatusCodes.Status404NotFound, "not_found", $"no memory {id}", "id")
            : TypedResults.Json(found[0].ToJson(), ApiJsonContext.Default.MemoryJson);
    }

    /// <summary>
    /// <c>POST /v1/forget</c>: by ids, agent, session, time range or search query; a dry run lists
    /// what would go. Removes rows, full-text entries, vectors and unused cached embeddings; the
    /// audit log keeps who and when, without the text.
    /// </summary>
    private static async Task<IResult> ForgetSelectedAsync(HttpRequest http, MemoryEngine engine, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync(http, ApiJsonContext.Default.ForgetRequestJson, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        try
        {
            return TypedResults.Json(await RunForgetAsync(engine, body!, "api", cancellationToken).ConfigureAwait(false), ApiJsonContext.Default.ForgetSelectionJson);
        }
        catch (ArgumentException ex)
        {
            return RequestBody.Invalid(ex.Message);
        }
    }

    /// <summary>Selects what a forget request names and, unless it is a dry run, forgets it (the route and <c>mnemo forget</c> without a serve).</summary>
    /// <exception cref="ArgumentException">The request names nothing, or a bad limit.</exception>
    public static async Task<ForgetSelectionJson> RunForgetAsync(MemoryEngine engine, ForgetRequestJson request, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(request);
        var selected = await engine.SelectForForgetAsync(new ForgetSelection(request.Ids, request.Agent, request.Session, request.Since, request.Until, request.Query, request.Limit ?? 100), cancellationToken).ConfigureAwait(false);
        var dryRun = request.DryRun == true;
        var forgotten = dryRun || selected.Count == 0 ? [] : await engine.ForgetAsync([.. selected.Select(m => m.Id)], actor, cancellationToken).ConfigureAwait(false);
        return new ForgetSelectionJson(dryRun, selected.Count, [.. selected.Select(m => new ForgetPreviewJson(m.Id, m.Agent, m.Session, m.Role, m.Timestamp, Mnemo.Retention.RecallText.Clip(m.Text, 120)))], [.. forgotten]);
    }

    private static async Task<IResult> ForgetAsync(long id, MemoryEngine engine, CancellationToken cancellationToken)
    {
        var forgotten = await engine.ForgetAsync([id], "api", cancellationToken).ConfigureAwait(false);
        return forgotten.Count == 0
            ? RequestBody.Error(StatusCodes.Status404NotFound, "not_found", $"no memory {id}", "id")
            : TypedResults.Json(new ForgetResponseJson([.. forgotten]), ApiJsonContext.Default.ForgetResponseJson);
    }
}
