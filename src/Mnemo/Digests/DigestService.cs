using System.Globalization;
using Microsoft.Extensions.Logging;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Language;
using Mnemo.Retention;
using Mnemo.Search;
using Mnemo.Signals;

namespace Mnemo.Digests;

/// <summary>
/// Writes the hourly summaries, the daily sync and the weekly synthesis. With a model configured a
/// digest is drafted, critiqued and refined (three passes) from the period's most salient memories;
/// without one, or when the model fails, it is extractive. Every digest is stored once per kind,
/// agent and period, and stored as a memory too, so search finds it.
/// </summary>
public sealed partial class DigestService(
    MemoryEngine engine,
    DigestStore digests,
    SignalStore signals,
    ThreePassPrompter prompter,
    DigestOptions options,
    TimeZoneInfo zone,
    string? openClawStateDirectory,
    TimeProvider time,
    ILogger<DigestService> logger)
{
    // Far above a person's week (LoCoMo's ten long conversations are 5,900 turns); the caps only
    // bound memory use on a store that ingested years at once.
    private const int MaxMemoriesPerHour = 5_000;
    private const int MaxMemoriesPerDay = 20_000;
    private const int MaxMemoriesPerWeek = 50_000;

    /// <summary>The heading under which digests report how the user rated them.</summary>
    public const string FeedbackSection = "Your feedback";

    public DigestStore Store => digests;

    /// <summary>
    /// Summarizes every full hour not summarized yet, up to <see cref="DigestOptions.CatchUpHours"/>
    /// back, one digest per agent that was active in it; quiet hours are skipped.
    /// </summary>
    public async Task<IReadOnlyList<Digest>> WriteHourlyAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var end = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, now.UtcDateTime.Day, now.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);
        var start = end - TimeSpan.FromHours(options.CatchUpHours);
        if (await digests.LatestPeriodEndAsync(DigestKind.Hourly, cancellationToken).ConfigureAwait(false) is { } latest && latest > start)
        {
            start = latest;
        }

        await CompleteSearchableCopiesAsync(cancellationToken).ConfigureAwait(false);
        var written = new List<Digest>();
        IReadOnlyDictionary<long, Feedback.MemoryRating>? ratings = null;
        for (var hour = start; hour < end; hour += TimeSpan.FromHours(1))
        {
            foreach (var agent in await engine.Store.GetActiveAgentsAsync(hour, hour + TimeSpan.FromHours(1), cancellationToken).ConfigureAwait(false))
            {
                var memories = await engine.Store.GetMemoriesBetweenAsync(hour, hour + TimeSpan.FromHours(1), agent, MaxMemoriesPerHour, cancellationToken).ConfigureAwait(false);
                var title = $"Mnemo hourly summary · {agent} · {Local(hour):yyyy-MM-dd HH:mm}–{Local(hour + TimeSpan.FromHours(1)):HH:mm}";
                var task = $"Summarize the last hour of the conversations of agent '{agent}' for the user in at most {options.HourlyMaxLines} bullet lines, under the headings Decisions, Open items, Key details (exact identifiers, names, amounts, dates) and Highlights; leave out empty headings.";
                ratings ??= await engine.Feedback.GetAllAsync(cancellationToken).ConfigureAwait(false);
                var digest = await WriteAsync(DigestKind.Hourly, agent, hour, hour + TimeSpan.FromHours(1), title, task, memories, options.HourlyMaxLines, [], ratings, [], cancellationToken).ConfigureAwait(false);
                if (digest is not null)
                {
                    written.Add(digest);
                }
            }
        }

        return written;
    }

    /// <summary>
    /// The day's sync per active agent: the hourly digests consolidated (or the day's memories when
    /// there are none), appended once to the agent's OpenClaw workspace note for the day, and its
    /// durable facts proposed for the curated facts file.
    /// </summary>
    public async Task<IReadOnlyList<Digest>> WriteDailyAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var (start, end) = (Midnight(day), Midnight(day.AddDays(1)));
        var now = time.GetUtcNow();
        if (end > now)
        {
            end = now;
        }

        var written = new List<Digest>();
        var agents = await engine.Store.GetActiveAgentsAsync(start, end, cancellationToken).ConfigureAwait(false);
        if (agents.Count == 0)
        {
            return written;
        }

        // The user's votes, read once for all the day's digests.
        var ratings = await engine.Feedback.GetAllAsync(cancellationToken).ConfigureAwait(false);
        var approval = await ApprovalLinesAsync(end, weeks: 1, cancellationToken).ConfigureAwait(false);
        foreach (var agent in agents)
        {
            var memories = await engine.Store.GetMemoriesBetweenAsync(start, end, agent, MaxMemoriesPerDay, cancellationToken).ConfigureAwait(false);
            var hourly = await digests.ListAsync(DigestKind.Hourly, agent, start, end, 100, cancellationToken).ConfigureAwait(false);
            var boosted = hourly.SelectMany(h => h.Lines).SelectMany(l => l.MemoryIds).ToHashSet();
            var title = $"Mnemo daily sync · {agent} · {day:dddd yyyy-MM-dd}";
            var task = $"Consolidate the day of agent '{agent}' into a daily sync of at most {options.DailyMaxLines} bullet lines, under the headings Decisions, Open items, Key details and Highlights; merge repeats and keep exact identifiers.";
            var digest = await WriteAsync(DigestKind.Daily, agent, start, end, title, task, memories, options.DailyMaxLines, boosted, ratings, approval, cancellationToken, hourly).ConfigureAwait(false);
            if (digest is null)
            {
                continue;
            }

            written.Add(digest);
            WriteWorkspace(agent, day, digest);
        }

        return written;
    }

    /// <summary>The week up to and including <paramref name="lastDay"/>, across all agents: themes, progress, open loops, activity.</summary>
    public async Task<Digest?> WriteWeeklyAsync(DateOnly lastDay, CancellationToken cancellationToken)
    {
        var start = Midnight(lastDay.AddDays(-6));
        var end = Midnight(lastDay.AddDays(1));
        var now = time.GetUtcNow();
        if (end > now)
        {
            end = now;
        }

        var memories = await engine.Store.GetMemoriesBetweenAsync(start, end, null, MaxMemoriesPerWeek, cancellationToken).ConfigureAwait(false);
        if (memories.Count == 0)
        {
            return null;
        }

        var title = $"Mnemo weekly synthesis · {lastDay.AddDays(-6):yyyy-MM-dd} to {lastDay:yyyy-MM-dd}";
        var existing = await digests.FindAsync(DigestKind.Weekly, Digest.AllAgents, start, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return existing;
        }

        var (method, lines, runId) = await ComposeWeeklyAsync(memories, start, end, cancellationToken).ConfigureAwait(false);
        return await StoreAsync(DigestKind.Weekly, Digest.AllAgents, start, end, method, DigestText.Render(title, lines), lines, memories.Count, runId, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Digest?> WriteAsync(
        DigestKind kind,
        string agent,
        DateTimeOffset start,
        DateTimeOffset end,
        string title,
        string task,
        IReadOnlyList<(Memory Memory, float[] Vector)> memories,
        int maxLines,
        HashSet<long> boosted,
        IReadOnlyDictionary<long, Feedback.MemoryRating> ratings,
        IReadOnlyList<DigestLine> footer,
        CancellationToken cancellationToken,
        IReadOnlyList<Digest>? consolidate = null)
    {
        if (memories.Count == 0 || await digests.FindAsync(kind, agent, start, cancellationToken).ConfigureAwait(false) is not null)
        {
            return null;
        }

        var candidates = Rated(ExtractiveSummarizer.Candidates(memories), ratings, boosted);

        IReadOnlyList<DigestLine>? lines = null;
        var method = "extractive";
        long? runId = null;
        if (prompter.IsAvailable)
        {
            var sources = consolidate is { Count: > 0 }
                ? consolidate.Where(d => d.MemoryId is not null).Select(d => new PromptSource(d.MemoryId!.Value, $"hourly summary {Local(d.PeriodStart):HH:mm}", WithoutExternal(d))).ToList()
                : TopSources(candidates);
            (lines, runId) = await ModelLinesAsync($"digest.{DigestStore.KindName(kind)}", task, sources, External(memories), cancellationToken).ConfigureAwait(false);
            if (lines is not null)
            {
                method = "model";
            }
        }

        lines ??= ExtractiveSummarizer.Select(candidates, maxLines, engine.Similarity)
            .OrderBy(c => ExtractiveSummarizer.SectionRank(c.Section))
            .ThenBy(c => c.Memory.Timestamp)
            .Select(c => c.ToLine())
            .ToList();
        lines = [.. lines, .. footer];
        return await StoreAsync(kind, agent, start, end, method, DigestText.Render(title, lines), lines, memories.Count, runId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The memories of a period that are external content.</summary>
    private static HashSet<long> External(IEnumerable<(Memory Memory, float[] Vector)> memories) =>
        [.. memories.Where(m => m.Memory.Untrusted).Select(m => m.Memory.Id)];

    /// <summary>A digest as a source for a longer one: without its quoted external lines, which a model could restate as facts.</summary>
    private static string WithoutExternal(Digest digest) =>
        digest.Lines.Any(l => l.External)
            ? DigestText.Render(DigestText.Title(digest.Text), [.. digest.Lines.Where(l => !l.External)])
            : digest.Text;

    private async Task<(IReadOnlyList<DigestLine>? Lines, long? RunId)> ModelLinesAsync(string purpose, string task, List<PromptSource> sources, IReadOnlySet<long> externalIds, CancellationToken cancellationToken)
    {
        if (sources.Count == 0)
        {
            return (null, null);
        }

        try
        {
            var run = await prompter.RunAsync(new ThreePassRequest(purpose, task, sources), cancellationToken).ConfigureAwait(false);
            var lines = ExtractiveSummarizer.QuoteExternal(DigestText.Parse(run.Refined ?? string.Empty, sources.Select(s => s.MemoryId).ToHashSet()), externalIds);
            return (lines.Count > 0 ? lines : null, run.Id);
        }
        catch (LanguageModelException ex)
        {
            Log.ModelFailed(logger, purpose, ex.Message);
            return (null, null);
        }
    }

    private List<PromptSource> TopSources(IReadOnlyList<ExtractiveSummarizer.Candidate> candidates) =>
        candidates
            .GroupBy(c => c.Memory.Id)
            .Select(g => (g.First().Memory, Score: g.Max(c => c.Score)))
            .OrderByDescending(m => m.Score)
            .Take(options.MaxModelSources)
            .OrderBy(m => m.Memory.Timestamp)
            .ThenBy(m => m.Memory.Sequence)
            .Select(m => new PromptSource(m.Memory.Id, $"{m.Memory.Role} in {m.Memory.Agent}, {RecallText.When(m.Memory.Timestamp)}{(m.Memory.Untrusted ? ", external content" : string.Empty)}", RecallText.Clip(m.Memory.Text, 800)))
            .ToList();

    private async Task<(string Method, IReadOnlyList<DigestLine> Lines, long? RunId)> ComposeWeeklyAsync(IReadOnlyList<(Memory Memory, float[] Vector)> memories, DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken)
    {
        var ratings = await engine.Feedback.GetAllAsync(cancellationToken).ConfigureAwait(false);
        var conversation = memories.Where(m => m.Memory.Role is not ("tool" or "system") && !(ratings.TryGetValue(m.Memory.Id, out var rating) && rating.Rejected)).ToList();
        var approval = await ApprovalLinesAsync(end, weeks: 4, cancellationToken).ConfigureAwait(false);
        if (prompter.IsAvailable)
        {
            var daily = await digests.ListAsync(DigestKind.Daily, null, start, end, 100, cancellationToken).ConfigureAwait(false);
            var sources = daily.Count > 0
                ? daily.Where(d => d.MemoryId is not null && !(ratings.TryGetValue(d.MemoryId.Value, out var rating) && rating.Rejected)).Select(d => new PromptSource(d.MemoryId!.Value, $"daily sync of {d.Agent}, {Local(d.PeriodStart):yyyy-MM-dd}", WithoutExternal(d))).ToList()
                : TopSources(Rated(ExtractiveSummarizer.Candidates(conversation), ratings, []));
            var task = $"Write the weekly synthesis across all agents in at most {options.WeeklyMaxLines} bullet lines, under the headings Themes, Progress and Open loops.";
            var (lines, runId) = await ModelLinesAsync("digest.weekly", task, sources, External(conversation), cancellationToken).ConfigureAwait(false);
            if (lines is not null)
            {
                return ("model", [.. lines, .. ActivityLines(memories), .. approval], runId);
            }
        }

        var result = new List<DigestLine>();
        // The week's themes quote what was said: only the user's and the assistant's own words.
        result.AddRange(Themes([.. conversation.Where(m => !m.Memory.Untrusted)], engine.Similarity).Take(5));
        var picked = ExtractiveSummarizer.Select(Rated(ExtractiveSummarizer.Candidates(conversation), ratings, []), options.WeeklyMaxLines, engine.Similarity);
        result.AddRange(picked.Where(c => c.Section == ExtractiveSummarizer.Decisions).Take(6).Select(c => new DigestLine("Progress", $"{c.Memory.Agent} · {c.Line}", [c.Memory.Id])));
        var open = await signals.ListAsync(start, null, null, 100, cancellationToken).ConfigureAwait(false);
        result.AddRange(open
            .Where(s => s.Kind is SignalKinds.RepeatedRequest or SignalKinds.Deadline or SignalKinds.UnansweredQuestion)
            .Take(6)
            .Select(s => new DigestLine("Open loops", s.Title, s.Evidence.Take(3).ToList())));
        result.AddRange(picked.Where(c => c.Section == ExtractiveSummarizer.OpenItems).Take(4).Select(c => new DigestLine("Open loops", $"{c.Memory.Agent} · {c.Line}", [c.Memory.Id])));
        result.AddRange(ActivityLines(memories));
        result.AddRange(approval);
        return ("extractive", result, null);
    }

    /// <summary>
    /// The user's votes applied to summary candidates: what they voted down is left out, what they
    /// voted up (or what a rated digest or signal cited) moves by <see cref="Feedback.MemoryRating.Boost"/>,
    /// and what an earlier digest of the period picked gets a small lift.
    /// </summary>
    private static List<ExtractiveSummarizer.Candidate> Rated(List<ExtractiveSummarizer.Candidate> candidates, IReadOnlyDictionary<long, Feedback.MemoryRating> ratings, HashSet<long> boosted) =>
        [.. candidates
            .Where(c => !(ratings.TryGetValue(c.Memory.Id, out var rating) && rating.Rejected))
            .Select(c => c with { Score = c.Score + (boosted.Contains(c.Memory.Id) ? 0.3 : 0) + (ratings.TryGetValue(c.Memory.Id, out var rating) ? rating.Boost : 0) })];

    /// <summary>
    /// How the user rated Mnemo's digests, so each daily sync and weekly synthesis reports its own
    /// approval: the last <paramref name="weeks"/> weeks one by one, and the whole keep period.
    /// Nothing when no digest was rated.
    /// </summary>
    private async Task<IReadOnlyList<DigestLine>> ApprovalLinesAsync(DateTimeOffset end, int weeks, CancellationToken cancellationToken)
    {
        var all = (await engine.Feedback.WeeksAsync(end - TimeSpan.FromDays(engine.Options.Feedback.KeepDays), cancellationToken).ConfigureAwait(false))
            .Where(w => w.Target == Feedback.FeedbackTarget.Digest && w.WeekStart < DateOnly.FromDateTime(end.UtcDateTime).AddDays(1))
            .ToList();
        if (all.Count == 0)
        {
            return [];
        }

        static string Share(int up, int down) => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(100.0 * up / (up + down))}% 👍 ({up} of {up + down})");
        var lines = new List<DigestLine>
        {
            new(FeedbackSection, $"Your ratings of these digests over the last {engine.Options.Feedback.KeepDays} days: {Share(all.Sum(w => w.Up), all.Sum(w => w.Down))}", []),
        };
        lines.AddRange(all.TakeLast(weeks).Select(w => new DigestLine(FeedbackSection, $"Week of {w.WeekStart:yyyy-MM-dd}: {Share(w.Up, w.Down)}", [])));
        return lines;
    }

    /// <summary>Groups the week's turns by meaning (leader clustering over the stored embeddings) and names the largest groups.</summary>
    private static IEnumerable<DigestLine> Themes(List<(Memory Memory, float[] Vector)> memories, SimilarityScale similarity)
    {
        const double threshold = 0.5;
        var clusters = new List<(float[] Leader, List<(Memory Memory, float[] Vector)> Members)>();
        foreach (var item in memories)
        {
            var home = clusters.FirstOrDefault(c => similarity.Passage(VectorMath.Similarity(c.Leader, item.Vector)) >= threshold);
            if (home.Members is null)
            {
                if (clusters.Count < 400)
                {
                    clusters.Add((item.Vector, [item]));
                }

                continue;
            }

            home.Members.Add(item);
        }

        var weekTerms = memories.SelectMany(m => QueryText.Terms(m.Memory.Text).Distinct()).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var (leader, members) in clusters.Where(c => c.Members.Count >= 3).OrderByDescending(c => c.Members.Count))
        {
            var terms = members.SelectMany(m => QueryText.Terms(m.Memory.Text).Distinct())
                .Where(t => t.Length > 3 && !t.Any(char.IsDigit))
                .GroupBy(t => t)
                .Select(g => (Term: g.Key, Weight: g.Count() * Math.Log(1.0 + (memories.Count / (double)weekTerms[g.Key]))))
                .OrderByDescending(t => t.Weight)
                .Take(3)
                .Select(t => t.Term)
                .ToList();
            var agents = members.Select(m => m.Memory.Agent).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var central = members.OrderByDescending(m => VectorMath.Similarity(leader, m.Vector)).Take(3).ToList();
            var label = terms.Count > 0 ? string.Join(", ", terms) : "conversation";
            yield return new DigestLine(
                "Themes",
                string.Create(CultureInfo.InvariantCulture, $"{label}: {members.Count} turns in {string.Join(", ", agents)}, e.g. \"{RecallText.Clip(central[0].Memory.Text, 140)}\""),
                central.Select(m => m.Memory.Id).ToList());
        }
    }

    private static IEnumerable<DigestLine> ActivityLines(IReadOnlyList<(Memory Memory, float[] Vector)> memories) =>
        memories.GroupBy(m => m.Memory.Agent).OrderByDescending(g => g.Count()).Select(g => new DigestLine(
            "Activity",
            string.Create(CultureInfo.InvariantCulture, $"{g.Key}: {g.Count(m => m.Memory.Chunk == 0)} turns in {g.Select(m => m.Memory.Session).Distinct().Count()} sessions"),
            []));

    private async Task<Digest> StoreAsync(DigestKind kind, string agent, DateTimeOffset start, DateTimeOffset end, string method, string text, IReadOnlyList<DigestLine> lines, int sources, long? runId, CancellationToken cancellationToken)
    {
        var (digest, added) = await digests.AddAsync(new Digest(0, kind, agent, start, end, method, text, lines, sources, null, runId, time.GetUtcNow(), null), cancellationToken).ConfigureAwait(false);
        if (!added)
        {
            return digest;
        }

        digest = await StoreSearchableCopyAsync(digest, cancellationToken).ConfigureAwait(false);
        var kindName = DigestStore.KindName(kind);
        Log.Written(logger, kindName, agent, digest.Id, method, lines.Count);
        return digest;
    }

    /// <summary>
    /// The digest is a memory too: searchable, with its period as provenance. The digest row, its
    /// memory and the link are written one after the other (the memory goes through the one
    /// writer); a stop between them leaves a digest without its copy, which the next hourly run
    /// completes (<see cref="CompleteSearchableCopiesAsync"/>).
    /// </summary>
    private async Task<Digest> StoreSearchableCopyAsync(Digest digest, CancellationToken cancellationToken)
    {
        var memoryId = await engine.StoreTurnAsync(SourceKey(digest.Agent), Format, AsTurn(digest), cancellationToken).ConfigureAwait(false);
        await digests.SetMemoryAsync(digest.Id, memoryId, cancellationToken).ConfigureAwait(false);
        return digest with { MemoryId = memoryId };
    }

    /// <summary>Stores the searchable copies a stop left unwritten.</summary>
    private async Task CompleteSearchableCopiesAsync(CancellationToken cancellationToken)
    {
        foreach (var digest in await digests.WithoutMemoryAsync(100, cancellationToken).ConfigureAwait(false))
        {
            await StoreSearchableCopyAsync(digest, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The ingest format of digests' searchable copies.</summary>
    internal const string Format = "digest";

    /// <summary>The source the searchable copies of an agent's digests are ingested as.</summary>
    internal static string SourceKey(string agent) => $"digests#{agent}";

    /// <summary>The digest as the turn its searchable copy is stored from (the same entry each time, so a rewrite updates it).</summary>
    internal static Turn AsTurn(Digest digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        var kindName = DigestStore.KindName(digest.Kind);
        // The searchable copy leaves the quoted external lines out: they are memories of their own,
        // fenced as external wherever they are shown; inside a digest they would pass as Mnemo's words.
        return new Turn(digest.Agent, $"digest-{kindName}", $"{kindName}-{digest.PeriodStart.UtcDateTime:yyyyMMdd'T'HHmm}", null, "digest", WithoutExternal(digest), digest.PeriodEnd, "mnemo:digests", digest.PeriodStart.ToUnixTimeMilliseconds(), TurnProvenance.Default);
    }

    private void WriteWorkspace(string agent, DateOnly day, Digest digest)
    {
        if (!options.WriteWorkspace || openClawStateDirectory is null || !Directory.Exists(openClawStateDirectory) || !OpenClawWorkspace.IsAgentId(agent))
        {
            return;
        }

        var workspace = OpenClawWorkspace.Resolve(openClawStateDirectory, agent);
        if (!Directory.Exists(workspace))
        {
            // Not an OpenClaw agent (or one that never ran): there is no workspace to write to.
            return;
        }

        try
        {
            var body = DigestText.Render($"Daily sync from Mnemo · {digest.Method}", digest.Lines, headingLevel: 3);
            if (WorkspaceNotes.AppendDailySync(workspace, agent, day, body) is { } path)
            {
                Log.WorkspaceWritten(logger, agent, path);
            }

            // Durable facts are the user's and the assistant's own words, never external content.
            var facts = digest.Lines.Where(l => !l.External && l.Section is ExtractiveSummarizer.Decisions or ExtractiveSummarizer.KeyDetails).Select(l => l.Text).ToList();
            if (facts.Count > 0)
            {
                WorkspaceNotes.ProposeFacts(workspace, day, facts, options.CuratedMaxBytes);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.WorkspaceFailed(logger, agent, workspace, ex.Message);
            throw;
        }
    }

    private DateTimeOffset Local(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, zone);

    private DateTimeOffset Midnight(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "{Kind} digest d{Id} written for {Agent} ({Method}, {Lines} lines)")]
        public static partial void Written(ILogger logger, string kind, string agent, long id, string method, int lines);

        [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "the model could not write {Purpose}; using the extractive digest: {Reason}")]
        public static partial void ModelFailed(ILogger logger, string purpose, string reason);

        [LoggerMessage(EventId = 702, Level = LogLevel.Information, Message = "daily sync for {Agent} appended to {Path}")]
        public static partial void WorkspaceWritten(ILogger logger, string agent, string path);

        [LoggerMessage(EventId = 703, Level = LogLevel.Error, Message = "could not write the daily sync for {Agent} into {Workspace}: {Reason}")]
        public static partial void WorkspaceFailed(ILogger logger, string agent, string workspace, string reason);
    }
}
