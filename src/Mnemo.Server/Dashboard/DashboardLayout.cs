using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace Mnemo.Server.Dashboard;

/// <summary>The page frame, the stylesheet, and the antiforgery token every form carries.</summary>
internal static class DashboardLayout
{
    /// <summary>
    /// No script may run and nothing may load from elsewhere: a transcript that smuggled markup past
    /// the encoding would still be inert.
    /// </summary>
    private const string Policy = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static IResult Page(HttpContext context, IAntiforgery antiforgery, string title, Markup body, bool signedIn = true, int status = StatusCodes.Status200OK)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        var nav = signedIn
            ? Html.Of($"""
                <nav class="top">
                  <a href="/">Overview</a><a href="/search">Search</a><a href="/timeline">Timeline</a><a href="/digests">Digests</a><a href="/status">Status</a>
                  <form method="post" action="/logout" class="inline">{Token(context, antiforgery)}<button type="submit" class="link">Log out</button></form>
                </nav>
                """)
            : Markup.Empty;
        var page = Html.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · Mnemo</title>
            <link rel="stylesheet" href="/dashboard.css">
            </head>
            <body>
            <header><a class="brand" href="/">Mnemo</a>{nav}</header>
            <main>
            <h1>{title}</h1>
            {body}
            </main>
            </body>
            </html>
            """);
        return Results.Content(page.Value, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
    }

    /// <summary>The hidden antiforgery field of a form (its cookie half is set on the response).</summary>
    public static Markup Token(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return Html.Of($"<input type=\"hidden\" name=\"{tokens.FormFieldName}\" value=\"{tokens.RequestToken}\">");
    }

    /// <summary>Null when the form came from one of our pages; otherwise the page to answer with (400).</summary>
    public static async Task<IResult?> RejectForgeryAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
        {
            return null;
        }

        return Page(context, antiforgery, "Refused", Html.Of($"<p class=\"error\" role=\"alert\">This form did not come from Mnemo's own pages (or it expired): nothing was changed. Reload the page and try again.</p>"), signedIn: false, status: StatusCodes.Status400BadRequest);
    }

    public const string Css = """
        :root { --fg: #1d2433; --muted: #5b6478; --bg: #f7f7f9; --card: #fff; --line: #dde0e6; --accent: #3454d1; --danger: #b3261e; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; padding: .6rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
        .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
        nav.top { display: flex; flex-wrap: wrap; gap: .25rem .9rem; align-items: center; }
        nav a, a { color: var(--accent); }
        main { max-width: 1100px; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.4rem; margin: .2rem 0 1rem; }
        h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
        table { width: 100%; border-collapse: collapse; background: var(--card); display: block; overflow-x: auto; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        .meta, small, .when { color: var(--muted); }
        .numbers { display: flex; flex-wrap: wrap; gap: .75rem; }
        .numbers div { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .8rem; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1rem; margin-top: 1rem; }
        .chart { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem; }
        .chart figcaption { font-weight: 600; margin-bottom: .25rem; }
        .chart-svg { width: 100%; height: auto; }
        .chart-svg .bar { fill: var(--accent); }
        .chart-svg .line { fill: none; stroke: var(--accent); stroke-width: 2; }
        .chart-svg .dot { fill: var(--accent); }
        .chart-svg .grid { stroke: var(--line); }
        .chart-svg .axis { fill: var(--muted); font-size: 11px; }
        form.search, form.login, form.confirm { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: 1rem; }
        form.login { flex-direction: column; align-items: stretch; max-width: 360px; }
        form.inline { display: inline; }
        input, select, button, .button { font: inherit; padding: .4rem .6rem; border: 1px solid var(--line); border-radius: 5px; background: var(--card); color: var(--fg); }
        input[type=search] { flex: 1 1 16rem; }
        button, .button { cursor: pointer; text-decoration: none; display: inline-block; }
        button[type=submit] { background: var(--accent); color: #fff; border-color: var(--accent); }
        button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
        .danger, button.danger, a.danger { background: var(--danger) !important; color: #fff !important; border-color: var(--danger) !important; }
        .actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0 1rem; }
        ol.hits, ol.transcript, ul.plain { list-style: none; padding: 0; margin: 0; }
        .hit, .turn { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; margin-bottom: .5rem; }
        .turn.current { border-color: var(--accent); box-shadow: 0 0 0 2px var(--accent) inset; }
        .who { font-weight: 600; }
        .text, .pre { white-space: pre-wrap; overflow-wrap: anywhere; }
        .hit .meta { overflow-wrap: anywhere; }
        .passes { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 1rem; }
        .passes section { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; }
        .tag { display: inline-block; padding: 0 .4rem; border-radius: 4px; background: var(--line); font-size: .85em; }
        .tag.healthy, .tag.info { background: #d7f0dc; } .tag.degraded, .tag.warning { background: #fdf0c4; } .tag.unhealthy, .tag.critical { background: #f8d2cf; }
        .notice { background: #d7f0dc; padding: .5rem .7rem; border-radius: 6px; }
        .error, .warning { background: #f8d2cf; padding: .5rem .7rem; border-radius: 6px; }
        .empty { color: var(--muted); }
        nav.agents { display: flex; flex-wrap: wrap; gap: .5rem; }
        nav.agents a[aria-current] { font-weight: 700; }
        """;
}
