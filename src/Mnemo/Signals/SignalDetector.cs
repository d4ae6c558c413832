using System.Globalization;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Ingest;
using Mnemo.Retention;
using Mnemo.Search;
using Mnemo.Storage;

namespace Mnemo.Signals;

/// <summary>
/// The cross-agent detectors, run over the recent memories of every agent: a topic shared by
/// agents, a request repeated without resolution, deadlines coming due, unanswered questions,
/// runs of frustrated turns, and activity drops and spikes. Each finding has a stable key so the
/// same thing found again is one signal, not a new one.
/// </summary>
public sealed class SignalDetector(IMemoryStore store, SignalOptions options, TimeZoneInfo zone, SimilarityScale? similarity = null)
{
    /// <summary>Thresholds are on the common similarity scale; this model's cosines are mapped onto it.</summary>
    private SimilarityScale Scale => similarity ?? SimilarityScale.Identity;

    /// <summary>Everything the detectors find at <paramref name="now"/>.</summary>
    public async Task<IReadOnlyList<DetectedSignal>> DetectAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // One read of the longest window (deadlines look back two weeks); the shorter ones are cut from it.
        var week = await store.GetMemoriesBetweenAsync(now - Max(options.RequestLookback, options.DeadlineOverdue + TimeSpan.FromDays(14)), now, null, options.MaxMemories * 4, cancellationToken).ConfigureAwait(false);
        var recent = week.Where(m => m.Memory.Timestamp >= now - options.Lookback).TakeLast(options.MaxMemories).ToList();
        var conversation = recent.Where(m => IsConversation(m.Memory)).ToList();
        var signals = new List<DetectedSignal>();
        signals.AddRange(SharedTopics(conversation));
        signals.AddRange(RepeatedRequests(week.Where(m => IsConversation(m.Memory) && m.Memory.Timestamp >= now - options.RequestLookback).ToList()));
        signals.AddRange(Deadlines(week.Where(m => IsConversation(m.Memory)).ToList(), now));
        signals.AddRange(UnansweredQuestions(conversation, now));
        signals.AddRange(Frustration(conversation));
        signals.AddRange(await ActivityAsync(now, [.. week.Where(m => m.Memory.Timestamp >= now - TimeSpan.FromDays(1))], cancellationToken).ConfigureAwait(false));
        return signals;
    }

    /// <summary>
    /// Groups the window's turns by meaning (leader clustering over the stored embeddings: a turn
    /// joins the most similar group leader above <see cref="SignalOptions.TopicSimilarity"/>). A group
    /// where two or more agents each said at least two things, sharing a word that is rare in the
    /// window, is a shared topic. The largest few are reported, not every coincidence.
    /// </summary>
    internal IEnumerable<DetectedSignal> SharedTopics(IReadOnlyList<(Memory Memory, float[] Vector)> memories)
    {
        const int maxLeaders = 1000;
        const int maxTopics = 5;
        var trusted = memories.Where(m => !m.Memory.Untrusted).ToList();
        var leaders = new List<(float[] Vector, List<Memory> Members)>();
        foreach (var (memory, vector) in trusted)
        {
            var best = -1;
            var bestSimilarity = options.TopicSimilarity;
            for (var i = 0; i < leaders.Count; i++)
            {
                var closeness = Scale.Passage(VectorMath.Similarity(leaders[i].Vector, vector));
                if (closeness >= bestSimilarity)
                {
                    (best, bestSimilarity) = (i, closeness);
                }
            }

            if (best >= 0)
            {
                leaders[best].Members.Add(memory);
            }
            else if (leaders.Count < maxLeaders)
            {
                leaders.Add((vector, [memory]));
            }
        }

        // How many of the window's turns use a word: a topic's words are rare in the window.
        var frequency = trusted.SelectMany(m => QueryText.Terms(m.Memory.Text).Distinct()).GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var rare = Math.Max(10, trusted.Count / 20);
        var found = new List<(int Size, DetectedSignal Signal)>();
        foreach (var (_, members) in leaders)
        {
            var agents = members.GroupBy(m => m.Agent).Where(g => g.Count() >= 2).Select(g => g.Key).Order(StringComparer.Ordinal).ToList();
            if (agents.Count < 2)
            {
                continue;
            }

            var inTopic = members.Where(m => agents.Contains(m.Agent)).ToList();
            var terms = TopicTerms(inTopic).Where(t => frequency.TryGetValue(t, out var n) && n <= rare).ToList();
            if (terms.Count == 0)
            {
                continue;
            }

            found.Add((inTopic.Count, new DetectedSignal(
                SignalKinds.SharedTopic,
                $"{SignalKinds.SharedTopic}:{string.Join('+', agents)}:{string.Join('+', terms.Take(2).Order(StringComparer.Ordinal))}",
                "info",
                $"the same topic in {string.Join(", ", agents)}: {string.Join(", ", terms)}",
                agents,
                inTopic.Select(m => m.Id).Order().ToList())));
        }

        return found.OrderByDescending(f => f.Size).Take(maxTopics).Select(f => f.Signal);
    }

    /// <summary>User requests made <see cref="SignalOptions.RepeatCount"/> or more times, with no answer that settles them.</summary>
    internal IEnumerable<DetectedSignal> RepeatedRequests(IReadOnlyList<(Memory Memory, float[] Vector)> memories)
    {
        var requests = memories
            .Where(m => m.Memory.Role == "user" && !m.Memory.Untrusted && SalientText.Extract(m.Memory.Text, "user").Any(s => s.Kind.HasFlag(SalientKind.Request)))
            .ToList();
        var used = new HashSet<long>();
        foreach (var (memory, vector) in requests)
        {
            if (used.Contains(memory.Id))
            {
                continue;
            }

            var group = requests
                .Where(r => r.Memory.Agent == memory.Agent && !used.Contains(r.Memory.Id)
                    && (r.Memory.Id == memory.Id || Scale.Passage(VectorMath.Similarity(vector, r.Vector)) >= options.RequestSimilarity || Jaccard(memory.Text, r.Memory.Text) >= 0.6))
                .ToList();
            if (group.Count < options.RepeatCount)
            {
                continue;
            }

            foreach (var member in group)
            {
                used.Add(member.Memory.Id);
            }

            var last = group.Max(g => g.Memory.Timestamp);
            var resolved = memories.Any(m => m.Memory.Agent == memory.Agent && m.Memory.Role == "assistant" && m.Memory.Timestamp > last
                && ResolutionWords.Any(w => m.Memory.Text.Contains(w, StringComparison.OrdinalIgnoreCase))
                && Scale.Passage(VectorMath.Similarity(m.Vector, vector)) >= 0.5);
            if (resolved)
            {
                continue;
            }

            var key = Convert.ToHexString(Hashes.Of(memory.Agent, SalientText.Normalize(memory.Text)))[..16].ToLowerInvariant();
            yield return new DetectedSignal(
                SignalKinds.RepeatedRequest,
                $"{SignalKinds.RepeatedRequest}:{memory.Agent}:{key}",
                "warning",
                $"asked {group.Count} times in {memory.Agent} without resolution: {RecallText.Clip(memory.Text, 120)}",
                [memory.Agent],
                group.Select(g => g.Memory.Id).Order().ToList());
        }
    }

    /// <summary>Commitments whose due day falls from <see cref="SignalOptions.DeadlineOverdue"/> ago to <see cref="SignalOptions.DeadlineAhead"/> ahead.</summary>
    internal IEnumerable<DetectedSignal> Deadlines(IReadOnlyList<(Memory Memory, float[] Vector)> memories, DateTimeOffset now)
    {
        foreach (var (memory, _) in memories)
        {
            if (memory.Timestamp is not { } said || memory.Untrusted)
            {
                continue;
            }

            foreach (var sentence in SalientText.Sentences(memory.Text))
            {
                if (DeadlineText.FindDueDate(sentence, TimeZoneInfo.ConvertTime(said, zone)) is not { } day)
                {
                    continue;
                }

                var endOfDay = EndOfDay(day);
                if (endOfDay < now - options.DeadlineOverdue || endOfDay - TimeSpan.FromDays(1) > now + options.DeadlineAhead)
                {
                    continue;
                }

                var overdue = endOfDay < now;
                var hoursLeft = (endOfDay - now).TotalHours;
                var when = day.ToString("ddd yyyy-MM-dd", CultureInfo.InvariantCulture);
                yield return new DetectedSignal(
                    SignalKinds.Deadline,
                    $"{SignalKinds.Deadline}:{memory.Id}:{day:yyyy-MM-dd}",
                    overdue || hoursLeft <= 24 ? "warning" : "info",
                    overdue ? $"overdue since {when} ({memory.Agent}): {RecallText.Clip(sentence, 160)}" : $"due {when} ({memory.Agent}): {RecallText.Clip(sentence, 160)}",
                    [memory.Agent],
                    [memory.Id],
                    endOfDay);
                break;
            }
        }
    }

    /// <summary>User questions with no later assistant turn in the same session.</summary>
    internal IEnumerable<DetectedSignal> UnansweredQuestions(IReadOnlyList<(Memory Memory, float[] Vector)> memories, DateTimeOffset now)
    {
        var lastAssistant = memories
            .Where(m => m.Memory.Role == "assistant")
            .GroupBy(m => (m.Memory.Agent, m.Memory.Session))
            .ToDictionary(g => g.Key, g => g.Max(m => m.Memory.Sequence));
        foreach (var (memory, _) in memories)
        {
            if (memory.Role != "user" || memory.Untrusted || memory.Timestamp is not { } asked || now - asked < options.UnansweredAfter)
            {
                continue;
            }

            var question = SalientText.Sentences(memory.Text).FirstOrDefault(s => s.TrimEnd().EndsWith('?'));
            if (question is null || (lastAssistant.TryGetValue((memory.Agent, memory.Session), out var answeredAt) && answeredAt > memory.Sequence))
            {
                continue;
            }

            yield return new DetectedSignal(
                SignalKinds.UnansweredQuestion,
                $"{SignalKinds.UnansweredQuestion}:{memory.Id}",
                "info",
                $"no answer in {memory.Agent} since {RecallText.When(asked)}: {RecallText.Clip(question, 160)}",
                [memory.Agent],
                [memory.Id]);
        }
    }

    /// <summary>Runs of consecutive negative user turns within a session.</summary>
    internal IEnumerable<DetectedSignal> Frustration(IReadOnlyList<(Memory Memory, float[] Vector)> memories)
    {
        foreach (var session in memories.Where(m => m.Memory.Role == "user" && m.Memory.Chunk == 0 && !m.Memory.Untrusted)
            .GroupBy(m => (m.Memory.Agent, m.Memory.Session)))
        {
            var run = new List<Memory>();
            foreach (var (memory, _) in session.OrderBy(m => m.Memory.Sequence))
            {
                if (Sentiment.IsNegative(memory.Text))
                {
                    run.Add(memory);
                    continue;
                }

                foreach (var signal in FrustrationSignal(run))
                {
                    yield return signal;
                }

                run.Clear();
            }

            foreach (var signal in FrustrationSignal(run))
            {
                yield return signal;
            }
        }
    }

    /// <summary>Today's turns per agent against the agent's recent daily average.</summary>
    internal async Task<IReadOnlyList<DetectedSignal>> ActivityAsync(DateTimeOffset now, List<(Memory Memory, float[] Vector)> last24h, CancellationToken cancellationToken)
    {
        var days = options.ActivityBaselineDays;
        var counts = await store.CountTurnsPerDayAsync(now - TimeSpan.FromDays(days + 1), now, cancellationToken).ConfigureAwait(false);
        var today = last24h.Where(m => m.Memory.Chunk == 0).GroupBy(m => m.Memory.Agent).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var signals = new List<DetectedSignal>();
        var todayDate = DateOnly.FromDateTime(now.UtcDateTime);
        foreach (var agent in counts.Select(c => c.Agent).Distinct(StringComparer.Ordinal))
        {
            var history = counts.Where(c => c.Agent == agent && c.Day < todayDate.AddDays(-1)).ToList();
            if (history.Count == 0)
            {
                continue;
            }

            // Days since the agent's first day in the window count, the quiet ones too.
            var span = todayDate.AddDays(-1).DayNumber - history.Min(h => h.Day).DayNumber;
            if (span < 3)
            {
                continue;
            }

            var perDay = Enumerable.Range(0, span).Select(i => (double)history.Where(h => h.Day.DayNumber == todayDate.AddDays(-1).DayNumber - span + i).Sum(h => h.Turns)).ToList();
            var mean = perDay.Average();
            var deviation = Math.Sqrt(perDay.Average(x => (x - mean) * (x - mean)));
            var current = today.TryGetValue(agent, out var n) ? n : 0;
            string? change = null;
            if (mean >= options.ActivityMinimumDaily && current <= mean * 0.25)
            {
                change = "drop";
            }
            else if (current >= 20 && current >= Math.Max(3 * mean, mean + (3 * deviation)))
            {
                change = "spike";
            }

            if (change is null)
            {
                continue;
            }

            var evidence = last24h.Where(m => m.Memory.Agent == agent).Select(m => m.Memory.Id).TakeLast(20).ToList();
            signals.Add(new DetectedSignal(
                SignalKinds.Activity,
                $"{SignalKinds.Activity}:{agent}:{change}:{todayDate:yyyy-MM-dd}",
                change == "drop" ? "info" : "warning",
                string.Create(CultureInfo.InvariantCulture, $"{agent}: activity {change}, {current} turns in the last 24 hours against {mean:0.#} a day over the previous {span} days"),
                [agent],
                evidence));
        }

        return signals;
    }

    private IEnumerable<DetectedSignal> FrustrationSignal(List<Memory> run)
    {
        if (run.Count < options.FrustrationRun)
        {
            yield break;
        }

        var first = run[0];
        yield return new DetectedSignal(
            SignalKinds.Frustration,
            $"{SignalKinds.Frustration}:{first.Agent}:{first.Session}:{first.Id}",
            run.Count >= options.FrustrationRun * 2 ? "critical" : "warning",
            $"{run.Count} frustrated messages in a row in {first.Agent}, latest: {RecallText.Clip(run[^1].Text, 120)}",
            [first.Agent],
            run.Select(m => m.Id).ToList());
    }

    /// <summary>Words of small talk that name no topic (search keeps them; topic labels do not).</summary>
    private static readonly HashSet<string> ChatterWords = new(StringComparer.Ordinal)
    {
        "going", "really", "think", "know", "great", "good", "awesome", "cool", "nice", "care", "want", "like", "feel", "make",
        "time", "sure", "well", "glad", "love", "happy", "thanks", "yeah", "also", "much", "right", "okay", "sounds", "look",
        "looks", "need", "please", "could", "would", "something", "anything", "everything", "always", "never", "still", "maybe",
        "today", "tomorrow", "yesterday", "week", "thank", "hope", "amazing", "wow", "definitely", "totally", "pretty", "keep",
    };

    private static readonly string[] ResolutionWords = ["done", "completed", "fixed", "resolved", "booked", "sent", "scheduled", "here is", "here's", "i've ", "i have "];

    private DateTimeOffset EndOfDay(DateOnly day)
    {
        var local = day.ToDateTime(new TimeOnly(23, 59, 59));
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>What people said: not tool output or system text (datasets name their speakers as roles).</summary>
    private static bool IsConversation(Memory memory) => memory.Role is not ("tool" or "system");

    private static List<string> SharedTerms(string a, string b)
    {
        var left = QueryText.Terms(a).Where(t => t.Length > 3).ToHashSet(StringComparer.Ordinal);
        return QueryText.Terms(b).Where(left.Contains).ToList();
    }

    private static List<string> TopicTerms(IReadOnlyList<Memory> members)
    {
        // Terms said in more than one agent, most frequent first.
        var byTerm = new Dictionary<string, (HashSet<string> Agents, int Count)>(StringComparer.Ordinal);
        foreach (var memory in members)
        {
            foreach (var term in QueryText.Terms(memory.Text).Where(t => t.Length > 3 && t.All(char.IsLetter) && !ChatterWords.Contains(t)))
            {
                (HashSet<string> Agents, int Count) entry = byTerm.TryGetValue(term, out var e) ? e : (new HashSet<string>(StringComparer.Ordinal), 0);
                entry.Agents.Add(memory.Agent);
                byTerm[term] = (entry.Agents, entry.Count + 1);
            }
        }

        return byTerm.Where(t => t.Value.Agents.Count > 1).OrderByDescending(t => t.Value.Count).ThenBy(t => t.Key, StringComparer.Ordinal).Take(3).Select(t => t.Key).ToList();
    }

    private static double Jaccard(string a, string b)
    {
        var left = QueryText.Terms(a).ToHashSet(StringComparer.Ordinal);
        var right = QueryText.Terms(b).ToHashSet(StringComparer.Ordinal);
        if (left.Count == 0 || right.Count == 0)
        {
            return 0;
        }

        var shared = left.Count(right.Contains);
        return (double)shared / (left.Count + right.Count - shared);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
