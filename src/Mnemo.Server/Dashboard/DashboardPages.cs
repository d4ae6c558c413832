using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mnemo.Digests;
using Mnemo.Domain;
using Mnemo.Feedback;
using Mnemo.Language;
using Mnemo.Search;
using Mnemo.Server.Hosting;
using Mnemo.Signals;
using Mnemo.Storage;
using Mnemo.Voice.Queue;

namespace Mnemo.Server.Dashboard;

/// <summary>
/// The dashboard <c>mnemo serve</c> offers at <c>/</c>: server-rendered pages with no script at all
/// (search, a conversation around a memory, timelines, digests and signals with their ratings,
/// three-pass records, health, jobs, the voice queue, charts) and forms for the few things that
/// change the store (forget after a preview, pin, run a job). Every page needs the token (a login
/// form keeps it in an HttpOnly, SameSite=Strict cookie); every form carries an antiforgery token.
/// </summary>
internal static class DashboardPages
{
    private const int ChartDays = 14;

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard.css", () => Results.Text(DashboardLayout.Css, "text/css"));
        app.MapGet("/login", LoginPage);
        app.MapPost("/login", LoginAsync);
        app.MapPost("/logout", LogoutAsync);
        app.MapGet("/", OverviewAsync);
        app.MapGet("/search", SearchAsync);
        app.MapGet("/memories/{id:long}", MemoryAsync);
        app.MapGet("/timeline", TimelineAsync);
        app.MapGet("/session", SessionAsync);
        app.MapGet("/digests", DigestsAsync);
        app.MapGet("/digests/{id:long}", DigestAsync);
        app.MapGet("/status", StatusAsync);
        app.MapGet("/forget", ForgetPreviewAsync);
        app.MapPost("/forget", ForgetAsync);
        app.MapPost("/memories/{id:long}/pin", PinAsync);
        app.MapPost("/memories/{id:long}/unpin", UnpinAsync);
        app.MapPost("/jobs/{name}/run", RunJobAsync);
    }

    private static IResult LoginPage(HttpContext context, IAntiforgery antiforgery, string? next, string? failed)
    {
        var body = Html.Of($"""
            <form method="post" action="/login" class="login">
              {DashboardLayout.Token(context, antiforgery)}
              <input type="hidden" name="next" value="{SafeNext(next)}">
              <label for="token">Token <small>(in config.json of the data directory)</small></label>
              <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
              <button type="submit">Log in</button>
              {(failed is null ? Markup.Empty : Html.Of($"<p class=\"error\" role=\"alert\">That is not the token.</p>"))}
            </form>
            """);
        return DashboardLayout.Page(context, antiforgery, "Log in", body, signedIn: false);
    }

    private static async Task<IResult> LoginAsync(HttpContext context, IAntiforgery antiforgery, ServerOptions server)
    {
        if (await DashboardLayout.RejectForgeryAsync(context, antiforgery).ConfigureAwait(false) is { } rejected)
        {
            return rejected;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var next = SafeNext(form["next"]);
        if (!TokenAuthentication.Matches(server.Token, form["token"].ToString()))
        {
            return Results.Redirect($"/login?failed=1&next={Uri.EscapeDataString(next)}");
        }

        context.Response.Cookies.Append(TokenAuthentication.CookieName, TokenAuthentication.SessionValue(server.Token), TokenAuthentication.SessionCookie(context));
        return Results.Redirect(next);
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (await DashboardLayout.RejectForgeryAsync(context, antiforgery).ConfigureAwait(false) is { } rejected)
        {
            return rejected;
        }

        context.Response.Cookies.Delete(TokenAuthentication.CookieName, new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, HttpOnly = true });
        context.Response.Cookies.Delete(TokenAuthentication.LegacyCookieName, new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, HttpOnly = true });
        return Results.Redirect("/login");
    }

    private static async Task<IResult> OverviewAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, LatencyHistory latency, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var since = now.AddDays(-ChartDays);
        var stats = await engine.GetStatsAsync(cancellationToken).ConfigureAwait(false);
        var perDay = await engine.Store.CountTurnsPerDayAsync(since, now, cancellationToken).ConfigureAwait(false);
        var days = Enumerable.Range(0, ChartDays + 1).Select(d => DateOnly.FromDateTime(since.UtcDateTime).AddDays(d)).ToList();
        var perAgent = perDay.GroupBy(r => r.Agent).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var counts = g.ToDictionary(r => r.Day, r => r.Turns);
            return Charts.Bars($"Memories per day · {g.Key}", [.. days.Select(d => new ChartPoint(d.ToString("MM-dd", CultureInfo.InvariantCulture), counts.GetValueOrDefault(d)))], Count);
        });

        var compactions = await engine.Compactions.ListAsync(null, null, since, 10_000, cancellationToken).ConfigureAwait(false);
        var compactionDays = compactions.GroupBy(c => DateOnly.FromDateTime(c.Event.Timestamp.UtcDateTime)).ToDictionary(g => g.Key, g => g.Count());
        var weeks = await engine.Feedback.WeeksAsync(now.AddDays(-7 * 12), cancellationToken).ConfigureAwait(false);
        var approval = weeks.GroupBy(w => w.WeekStart).OrderBy(g => g.Key)
            .Select(g => new ChartPoint(g.Key.ToString("MM-dd", CultureInfo.InvariantCulture), 100.0 * g.Sum(w => w.Up) / Math.Max(1, g.Sum(w => w.Up + w.Down))))
            .ToList();

        var body = Html.Of($"""
            <section class="numbers">
              <div><strong>{stats.Memories}</strong> memories</div>
              <div><strong>{stats.Sessions}</strong> sessions</div>
              <div><strong>{stats.Agents}</strong> agents</div>
              <div><strong>{engine.Index.Index.Count}</strong> vectors indexed</div>
            </section>
            <section class="charts">
              {Markup.Join(perAgent)}
              {Charts.Line("Search latency (mean per minute, since serve started)", Latency(latency.Minutes(LatencyHistory.Search)), Milliseconds)}
              {Charts.Line("Context latency (mean per minute, since serve started)", Latency(latency.Minutes(LatencyHistory.Context)), Milliseconds)}
              {Charts.Bars("Feedback approval per week", approval, v => string.Create(CultureInfo.InvariantCulture, $"{v:F0}%"))}
              {Charts.Bars("Compactions per day", [.. days.Select(d => new ChartPoint(d.ToString("MM-dd", CultureInfo.InvariantCulture), compactionDays.GetValueOrDefault(d)))], Count)}
            </section>
            """);
        return DashboardLayout.Page(context, antiforgery, "Overview", body);
    }

    private static async Task<IResult> SearchAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, string? q, string? agent, string? session, string? source, string? from, string? until, int? forgotten, CancellationToken cancellationToken)
    {
        var filter = new MemoryFilter(Blank(agent), Blank(session), null, Blank(source), Day(from), Day(until)?.AddDays(1));
        IReadOnlyList<SearchHit> hits = string.IsNullOrWhiteSpace(q) ? [] : await engine.SearchAsync(new SearchRequest(q.Trim(), 20, filter), cancellationToken).ConfigureAwait(false);
        var agents = await engine.Store.GetActiveAgentsAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue, cancellationToken).ConfigureAwait(false);
        var notice = forgotten is { } n ? Html.Of($"<p class=\"notice\" role=\"status\">Forgot {n} memories.</p>") : Markup.Empty;
        var results = string.IsNullOrWhiteSpace(q)
            ? Markup.Empty
            : hits.Count == 0
                ? Html.Of($"<p class=\"empty\">Nothing found for “{q}”.</p>")
                : Html.Of($"<ol class=\"hits\">{Html.Each(hits, Hit)}</ol>");
        var body = Html.Of($"""
            {notice}
            <form method="get" action="/search" class="search">
              <input name="q" type="search" value="{q}" placeholder="What was said about…" aria-label="Query" autofocus>
              <select name="agent" aria-label="Agent"><option value="">every agent</option>{Html.Each(agents, a => Html.Of($"<option value=\"{a}\" {(a == agent ? new Markup("selected") : Markup.Empty)}>{a}</option>"))}</select>
              <input name="session" value="{session}" placeholder="session" aria-label="Session">
              <input name="source" value="{source}" placeholder="source" aria-label="Source">
              <label>from <input name="from" type="date" value="{from}"></label>
              <label>until <input name="until" type="date" value="{until}"></label>
              <button type="submit">Search</button>
            </form>
            {results}
            """);
        return DashboardLayout.Page(context, antiforgery, "Search", body);
    }

    private static Markup Hit(SearchHit hit)
    {
        var m = hit.Memory;
        return Html.Of($"""
            <li class="hit">
              <a class="hit-link" href="/memories/{m.Id}">{Clip(m.Text, 400)}</a>
              <div class="meta">score <b>{hit.Score:F3}</b> (vector {Score(hit.Scores.Vector)}, words {Score(hit.Scores.Text)}) · {m.Agent} · {m.Session} · {m.Speaker ?? m.Role} · {When(m.Timestamp)} · {m.Source} #{m.EntryId}</div>
            </li>
            """);
    }

    private static async Task<IResult> MemoryAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, long id, CancellationToken cancellationToken)
    {
        var found = await engine.GetMemoriesAsync([id], cancellationToken).ConfigureAwait(false);
        if (found.Count == 0)
        {
            return DashboardLayout.Page(context, antiforgery, "Not found", Html.Of($"<p class=\"empty\">There is no memory {id} (it may have been forgotten).</p>"), status: StatusCodes.Status404NotFound);
        }

        var memory = found[0];
        var around = await engine.Store.GetSessionMemoriesAsync(memory.Agent, memory.Session, memory.Sequence + 8, before: null, 17, cancellationToken).ConfigureAwait(false);
        var turns = around.Select(a => a.Memory).OrderBy(t => t.Sequence).ThenBy(t => t.Chunk).ToList();
        var pinned = (await engine.Pins.ListAsync(memory.Agent, cancellationToken).ConfigureAwait(false)).Any(p => p.MemoryId == id);
        var pin = Html.Of($"""
            <form method="post" action="/memories/{id}/{(pinned ? "unpin" : "pin")}" class="inline">
              {DashboardLayout.Token(context, antiforgery)}
              <button type="submit">{(pinned ? "Unpin" : "Pin: always bring it back")}</button>
            </form>
            """);
        var body = Html.Of($"""
            <p class="meta">{memory.Agent} · session {memory.Session} · {memory.Speaker ?? memory.Role} · {When(memory.Timestamp)} · {memory.Source} #{memory.EntryId}{(memory.Untrusted ? new Markup(" · <span class=\"tag\">external content</span>") : Markup.Empty)}{(pinned ? new Markup(" · <span class=\"tag\">pinned</span>") : Markup.Empty)}</p>
            <div class="actions">{pin}<a class="button danger" href="/forget?id={id}">Forget…</a><a class="button" href="/forget?agent={Uri.EscapeDataString(memory.Agent)}&amp;session={Uri.EscapeDataString(memory.Session)}">Forget this session…</a></div>
            <h2>The conversation around it</h2>
            <ol class="transcript">{Html.Each(turns, t => Html.Of($"<li class=\"turn{(t.Id == id ? " current" : string.Empty)}\" id=\"m{t.Id}\"><span class=\"who\">{t.Speaker ?? t.Role}</span> <span class=\"when\">{When(t.Timestamp)}</span><div class=\"text\">{t.Text}</div></li>"))}</ol>
            """);
        return DashboardLayout.Page(context, antiforgery, $"Memory {id}", body);
    }

    private static async Task<IResult> TimelineAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, DigestStore digestStore, SignalStore signalStore, VoiceJobStore voice, TimeProvider time, string? agent, CancellationToken cancellationToken)
    {
        var agents = await engine.Store.GetActiveAgentsAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue, cancellationToken).ConfigureAwait(false);
        var picker = Html.Of($"<nav class=\"agents\">{Html.Each(agents, a => Html.Of($"<a href=\"/timeline?agent={Uri.EscapeDataString(a)}\" {(a == agent ? new Markup("aria-current=\"page\"") : Markup.Empty)}>{a}</a>"))}</nav>");
        if (string.IsNullOrWhiteSpace(agent))
        {
            return DashboardLayout.Page(context, antiforgery, "Timeline", Html.Of($"{picker}<p class=\"empty\">Pick an agent.</p>"));
        }

        var sessions = await engine.Store.GetSessionsAsync(agent, 50, cancellationToken).ConfigureAwait(false);
        var compactions = await engine.Compactions.ListAsync(agent, null, null, 50, cancellationToken).ConfigureAwait(false);
        var retained = await engine.ContextNotices.ForCompactionsAsync([.. compactions.Select(c => c.Id)], cancellationToken).ConfigureAwait(false);
        var digests = await digestStore.LatestAsync(null, agent, 30, cancellationToken).ConfigureAwait(false);
        var signals = await signalStore.ListAsync(time.GetUtcNow().AddDays(-90), null, agent, 30, cancellationToken).ConfigureAwait(false);
        var notes = (await voice.ListAsync(null, 200, cancellationToken).ConfigureAwait(false)).Where(j => j.Agent == agent).Take(30).ToList();
        var body = Html.Of($"""
            {picker}
            <h2>Sessions</h2>
            <table><thead><tr><th>session</th><th>turns</th><th>from</th><th>to</th></tr></thead><tbody>
            {Html.Each(sessions, s => Html.Of($"<tr><td><a href=\"/session?agent={Uri.EscapeDataString(agent)}&amp;session={Uri.EscapeDataString(s.Session)}\">{s.Session}</a></td><td>{s.Turns}</td><td>{When(s.First)}</td><td>{When(s.Last)}</td></tr>"))}
            </tbody></table>
            <h2>Compactions</h2>
            <table><thead><tr><th>when</th><th>session</th><th>tokens before → after</th><th>brought back</th></tr></thead><tbody>
            {Html.Each(compactions, c => Html.Of($"<tr><td>{When(c.Event.Timestamp)}</td><td>{c.Event.Session}</td><td>{Tokens(c.Event.TokensBefore)} → {Tokens(c.Event.TokensAfter)}</td><td>{(retained.TryGetValue(c.Id, out var notice) ? Html.Of($"<div class=\"pre\">{notice.Text}</div>") : new Markup("<span class=\"empty\">nothing yet</span>"))}</td></tr>"))}
            </tbody></table>
            <h2>Digests</h2>
            <ul class="plain">{Html.Each(digests, d => Html.Of($"<li><a href=\"/digests/{d.Id}\">{DigestStore.KindName(d.Kind)} {When(d.PeriodStart)}</a> · {d.Sources} memories</li>"))}</ul>
            <h2>Voice notes</h2>
            <ul class="plain">{Html.Each(notes, j => Html.Of($"<li>{When(j.CreatedAt)} · {j.Status}{(j.MemoryId is { } m ? Html.Of($" · <a href=\"/memories/{m}\">memory {m}</a>") : Markup.Empty)}{(j.Error is { } e ? Html.Of($" · {e}") : Markup.Empty)} · {Path.GetFileName(j.Path)}</li>"))}</ul>
            <h2>Signals</h2>
            <ul class="plain">{Html.Each(signals, s => Html.Of($"<li><span class=\"tag {s.Severity}\">{s.Severity}</span> {s.Title} · seen {s.Detections}× · last {When(s.LastSeen)}</li>"))}</ul>
            """);
        return DashboardLayout.Page(context, antiforgery, $"Timeline · {agent}", body);
    }

    private static async Task<IResult> SessionAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, string? agent, string? session, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(agent) || string.IsNullOrWhiteSpace(session))
        {
            return DashboardLayout.Page(context, antiforgery, "Session", Html.Of($"<p class=\"error\">Name an agent and a session.</p>"), status: StatusCodes.Status400BadRequest);
        }

        var turns = (await engine.Store.GetSessionMemoriesAsync(agent, session, maxSequence: null, before: null, 300, cancellationToken).ConfigureAwait(false))
            .Select(t => t.Memory).OrderBy(t => t.Sequence).ThenBy(t => t.Chunk).ToList();
        var body = Html.Of($"""
            <p class="meta">{agent} · {turns.Count} turns (the latest 300) · <a href="/forget?agent={Uri.EscapeDataString(agent)}&amp;session={Uri.EscapeDataString(session)}">Forget this session…</a></p>
            <ol class="transcript">{Html.Each(turns, t => Html.Of($"<li class=\"turn\" id=\"m{t.Id}\"><a class=\"who\" href=\"/memories/{t.Id}\">{t.Speaker ?? t.Role}</a> <span class=\"when\">{When(t.Timestamp)}</span><div class=\"text\">{t.Text}</div></li>"))}</ol>
            """);
        return DashboardLayout.Page(context, antiforgery, $"Session {session}", body);
    }

    private static async Task<IResult> DigestsAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, DigestStore digestStore, SignalStore signalStore, TimeProvider time, CancellationToken cancellationToken)
    {
        var digests = await digestStore.LatestAsync(null, null, 30, cancellationToken).ConfigureAwait(false);
        var signals = await signalStore.ListAsync(time.GetUtcNow().AddDays(-30), null, null, 30, cancellationToken).ConfigureAwait(false);
        var digestVotes = await engine.Feedback.TotalsAsync(FeedbackTarget.Digest, [.. digests.Select(d => d.Id)], cancellationToken).ConfigureAwait(false);
        var signalVotes = await engine.Feedback.TotalsAsync(FeedbackTarget.Signal, [.. signals.Select(s => s.Id)], cancellationToken).ConfigureAwait(false);
        var body = Html.Of($"""
            <h2>Digests</h2>
            <table><thead><tr><th>digest</th><th>agent</th><th>method</th><th>feedback</th></tr></thead><tbody>
            {Html.Each(digests, d => Html.Of($"<tr><td><a href=\"/digests/{d.Id}\">{DigestStore.KindName(d.Kind)} · {When(d.PeriodStart)}</a></td><td>{d.Agent}</td><td>{d.Method}{(d.PromptRunId is null ? Markup.Empty : new Markup(" · three-pass"))}</td><td>{Votes(digestVotes, d.Id)}</td></tr>"))}
            </tbody></table>
            <h2>Signals</h2>
            <table><thead><tr><th>signal</th><th>agents</th><th>seen</th><th>feedback</th></tr></thead><tbody>
            {Html.Each(signals, s => Html.Of($"<tr><td><span class=\"tag {s.Severity}\">{s.Severity}</span> {s.Title}</td><td>{string.Join(", ", s.Agents)}</td><td>{s.Detections}× · {When(s.LastSeen)}</td><td>{Votes(signalVotes, s.Id)}</td></tr>"))}
            </tbody></table>
            """);
        return DashboardLayout.Page(context, antiforgery, "Digests and signals", body);
    }

    private static async Task<IResult> DigestAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, DigestStore digestStore, Automation automation, long id, CancellationToken cancellationToken)
    {
        var digest = await digestStore.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (digest is null)
        {
            return DashboardLayout.Page(context, antiforgery, "Not found", Html.Of($"<p class=\"empty\">There is no digest {id}.</p>"), status: StatusCodes.Status404NotFound);
        }

        var votes = await engine.Feedback.TotalsAsync(FeedbackTarget.Digest, [id], cancellationToken).ConfigureAwait(false);
        var run = digest.PromptRunId is { } runId ? await automation.PromptRuns.GetAsync(runId, cancellationToken).ConfigureAwait(false) : null;
        var passes = run is null
            ? Html.Of($"<p class=\"empty\">Written without a model ({digest.Method}): no three-pass record.</p>")
            : Html.Of($"""
                <div class="passes">
                  <section><h3>Draft</h3><div class="pre">{run.Draft}</div></section>
                  <section><h3>Critique</h3><div class="pre">{run.Passes.FirstOrDefault(p => p.Name == "critique")?.Output}</div></section>
                  <section><h3>Refined</h3><div class="pre">{run.Passes.FirstOrDefault(p => p.Name == "refine")?.Output ?? run.Result}</div></section>
                </div>
                """);
        var body = Html.Of($"""
            <p class="meta">{digest.Agent} · {When(digest.PeriodStart)} – {When(digest.PeriodEnd)} · {digest.Sources} memories · feedback {Votes(votes, id)}</p>
            <div class="pre digest">{digest.Text}</div>
            <h2>Three passes</h2>
            {passes}
            """);
        return DashboardLayout.Page(context, antiforgery, $"Digest {id}", body);
    }

    private static async Task<IResult> StatusAsync(HttpContext context, IAntiforgery antiforgery, HealthReportCache health, Automation automation, VoiceJobStore voice, string? ran, string? error, CancellationToken cancellationToken)
    {
        var report = await health.GetAsync(Api.MnemoApi.ReportMaxAge, cancellationToken).ConfigureAwait(false);
        var jobs = await automation.Scheduler.ListAsync(cancellationToken).ConfigureAwait(false);
        var queue = await voice.StatsAsync(cancellationToken).ConfigureAwait(false);
        var recent = await voice.ListAsync(null, 20, cancellationToken).ConfigureAwait(false);
        var message = ran is not null ? Html.Of($"<p class=\"notice\" role=\"status\">{ran}</p>") : error is not null ? Html.Of($"<p class=\"error\" role=\"alert\">{error}</p>") : Markup.Empty;
        var body = Html.Of($"""
            {message}
            <h2>Health: <span class="tag {report.Status.ToString().ToLowerInvariant()}">{report.Status.ToString().ToLowerInvariant()}</span></h2>
            <table><thead><tr><th>check</th><th>state</th><th>detail</th></tr></thead><tbody>
            {Html.Each(report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal), e => Html.Of($"<tr><td>{e.Key}</td><td><span class=\"tag {e.Value.Status.ToString().ToLowerInvariant()}\">{e.Value.Status.ToString().ToLowerInvariant()}</span></td><td>{e.Value.Description}</td></tr>"))}
            </tbody></table>
            <h2>Jobs</h2>
            <table><thead><tr><th>job</th><th>schedule</th><th>last run</th><th>next run</th><th></th></tr></thead><tbody>
            {Html.Each(jobs, j => JobRow(context, antiforgery, j))}
            </tbody></table>
            <h2>Voice queue</h2>
            <p>{queue.Queued} queued · {queue.Running} running · {queue.Done} done · {queue.Failed} failed</p>
            <table><thead><tr><th>note</th><th>state</th><th>agent</th><th>received</th></tr></thead><tbody>
            {Html.Each(recent, j => Html.Of($"<tr><td>{Path.GetFileName(j.Path)}</td><td>{j.Status}{(j.Error is { } e ? Html.Of($": {e}") : Markup.Empty)}</td><td>{j.Agent}</td><td>{When(j.CreatedAt)}</td></tr>"))}
            </tbody></table>
            """);
        return DashboardLayout.Page(context, antiforgery, "Status", body);
    }

    private static Markup JobRow(HttpContext context, IAntiforgery antiforgery, Mnemo.Scheduling.ScheduledJobInfo job) => Html.Of($"""
        <tr>
          <td>{job.Name}<br><small>{job.Description}</small></td>
          <td>{(job.Enabled ? job.Cron ?? "on demand" : "off")}</td>
          <td>{When(job.State.LastFinished)} {job.State.LastOutcome}<br><small>{Clip(job.State.LastDetail ?? string.Empty, 160)}</small></td>
          <td>{When(job.State.NextRun)}</td>
          <td><form method="post" action="/jobs/{job.Name}/run" class="inline">{DashboardLayout.Token(context, antiforgery)}<button type="submit">Run now</button></form></td>
        </tr>
        """);

    private static async Task<IResult> ForgetPreviewAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, long? id, string? agent, string? session, CancellationToken cancellationToken)
    {
        if (id is null && (string.IsNullOrWhiteSpace(agent) || string.IsNullOrWhiteSpace(session)))
        {
            return DashboardLayout.Page(context, antiforgery, "Forget", Html.Of($"<p class=\"error\">Name a memory (id) or a whole session (agent and session).</p>"), status: StatusCodes.Status400BadRequest);
        }

        var selection = id is { } one ? new ForgetSelection(Ids: [one]) : new ForgetSelection(Agent: agent, Session: session, Limit: 1000);
        var doomed = await engine.SelectForForgetAsync(selection, cancellationToken).ConfigureAwait(false);
        var body = doomed.Count == 0
            ? Html.Of($"<p class=\"empty\">Nothing to forget: no memory matches.</p>")
            : Html.Of($"""
                <p class="warning" role="alert">These {doomed.Count} memories will be deleted for good, with what Mnemo wrote from them (digest lines, signals, context notices, pins). This cannot be undone.</p>
                <ol class="transcript">{Html.Each(doomed, m => Html.Of($"<li class=\"turn\"><span class=\"who\">{m.Speaker ?? m.Role}</span> <span class=\"when\">{When(m.Timestamp)}</span> · {m.Agent} · {m.Session}<div class=\"text\">{Clip(m.Text, 300)}</div></li>"))}</ol>
                <form method="post" action="/forget" class="confirm">
                  {DashboardLayout.Token(context, antiforgery)}
                  <input type="hidden" name="ids" value="{string.Join(',', doomed.Select(m => m.Id))}">
                  <button type="submit" class="danger">Forget these {doomed.Count} memories</button>
                  <a class="button" href="/search">Cancel</a>
                </form>
                """);
        return DashboardLayout.Page(context, antiforgery, "Forget", body);
    }

    private static async Task<IResult> ForgetAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, CancellationToken cancellationToken)
    {
        if (await DashboardLayout.RejectForgeryAsync(context, antiforgery).ConfigureAwait(false) is { } rejected)
        {
            return rejected;
        }

        var form = await context.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        var ids = new List<long>();
        foreach (var part in form["ids"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return DashboardLayout.Page(context, antiforgery, "Forget", Html.Of($"<p class=\"error\">'{part}' is not a memory id; nothing was forgotten.</p>"), status: StatusCodes.Status400BadRequest);
            }

            ids.Add(parsed);
        }

        if (ids.Count == 0 || ids.Count > 1000)
        {
            return DashboardLayout.Page(context, antiforgery, "Forget", Html.Of($"<p class=\"error\">Between 1 and 1000 ids, please; nothing was forgotten.</p>"), status: StatusCodes.Status400BadRequest);
        }

        var forgotten = await engine.ForgetAsync(ids, "dashboard", cancellationToken).ConfigureAwait(false);
        return Results.Redirect(string.Create(CultureInfo.InvariantCulture, $"/search?forgotten={forgotten.Count}"));
    }

    private static async Task<IResult> PinAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, TimeProvider time, long id, CancellationToken cancellationToken)
    {
        if (await DashboardLayout.RejectForgeryAsync(context, antiforgery).ConfigureAwait(false) is { } rejected)
        {
            return rejected;
        }

        var found = await engine.GetMemoriesAsync([id], cancellationToken).ConfigureAwait(false);
        if (found.Count == 0)
        {
            return Results.NotFound();
        }

        await engine.Pins.PinAsync(id, found[0].Agent, "dashboard", time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return Results.Redirect(string.Create(CultureInfo.InvariantCulture, $"/memories/{id}"));
    }

    private static async Task<IResult> UnpinAsync(HttpContext context, IAntiforgery antiforgery, MemoryEngine engine, long id, CancellationToken cancellationToken)
    {
        if (await DashboardLayout.RejectForgeryAsync(context, antiforgery).ConfigureAwait(false) is { } rejected)
        {
            return rejected;
        }

        await engine.Pins.UnpinAsync(id, cancellationToken).ConfigureAwait(false);
        return Results.Redirect(string.Create(CultureInfo.InvariantCulture, $"/memories/{id}"));
    }

    private static async Task<IResult> RunJobAsync(HttpContext context, IAntiforgery antiforgery, Automation automation, string name, CancellationToken cancellationToken)
    {
        if (await DashboardLayout.RejectForgeryAsync(context, antiforgery).ConfigureAwait(false) is { } rejected)
        {
            return rejected;
        }

        try
        {
            var run = await automation.Scheduler.RunNowAsync(name, cancellationToken).ConfigureAwait(false);
            var text = run.Succeeded ? $"{name} ran: {run.Detail}" : $"{name} failed: {run.Detail}";
            return Results.Redirect($"/status?{(run.Succeeded ? "ran" : "error")}={Uri.EscapeDataString(Clip(text, 300))}");
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return Results.Redirect($"/status?error={Uri.EscapeDataString(Clip(ex.Message, 300))}");
        }
    }

    /// <summary>
    /// Only a path of this site: never another host after logging in. Browsers read a backslash as
    /// a slash and drop tabs and line breaks from a URL, so <c>/\evil</c> and <c>/&lt;tab&gt;/evil</c>
    /// are <c>//evil</c> to them: a path holding either is refused too.
    /// </summary>
    private static string SafeNext(string? next) =>
        next is { Length: > 0 } path && path[0] == '/' && !path.StartsWith("//", StringComparison.Ordinal) && !path.Any(c => c == '\\' || char.IsControl(c)) ? path : "/";

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DateTimeOffset? Day(string? value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null;

    private static string When(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC" : "—";

    private static string Tokens(long? tokens) => tokens is { } t ? t.ToString("N0", CultureInfo.InvariantCulture) : "?";

    private static string Score(double? score) => score is { } s ? s.ToString("F3", CultureInfo.InvariantCulture) : "—";

    private static string Count(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Milliseconds(double value) => value.ToString(value < 10 ? "F1" : "F0", CultureInfo.InvariantCulture) + " ms";

    private static string Clip(string text, int length) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "…");

    private static List<ChartPoint> Latency(IReadOnlyList<LatencyMinute> minutes) =>
        [.. minutes.TakeLast(120).Select(m => new ChartPoint(m.Minute.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture), m.MeanMilliseconds))];

    private static Markup Votes(IReadOnlyDictionary<long, (int Up, int Down)> votes, long id) =>
        votes.TryGetValue(id, out var v) ? Html.Of($"👍 {v.Up} · 👎 {v.Down}") : new Markup("<span class=\"empty\">no votes</span>");
}
