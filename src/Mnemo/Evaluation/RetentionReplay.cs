using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mnemo.Datasets;
using Mnemo.Domain;
using Mnemo.Readers;
using Mnemo.Retention;
using Mnemo.Search;
using Mnemo.Storage;

namespace Mnemo.Evaluation;

/// <summary>How a replayed conversation left the agent's context before the question.</summary>
public enum RetentionScenario
{
    /// <summary>The whole conversation is one session; a compaction then keeps only its last turn.</summary>
    Compacted,

    /// <summary>Each dated session is its own session; the question opens a new, empty one.</summary>
    NewSession,
}

/// <summary>One LoCoMo-layout conversation as the replay sends it: turns in order, questions with their evidence turn ids.</summary>
public sealed record ReplayConversation(string Id, IReadOnlyList<ReplayTurn> Turns, IReadOnlyList<ReplayQuestion> Questions);

/// <summary>A turn: its dataset id (<c>D3:7</c>), dated session number, speaker, whether the first speaker said it, text, time.</summary>
public sealed record ReplayTurn(string Id, int SessionNumber, string Speaker, bool FirstSpeaker, string Text, DateTimeOffset Timestamp);

/// <summary>A question with the ids of the turns that hold its answer.</summary>
public sealed record ReplayQuestion(string Question, string Category, IReadOnlySet<string> Evidence);

/// <summary>What one question got: evidence in the retained context and in search's best at the same budget.</summary>
public sealed record RetentionAnswer(
    int Conversation,
    string Category,
    int Evidence,
    int EvidenceInContext,
    int EvidenceBySearch,
    int Tokens,
    int Items,
    int EvidenceItems,
    int Lines,
    int EvidenceLines,
    double Milliseconds);

/// <summary>
/// Retention in the loop, as <c>shared/tools/retention_eval.py</c> measures it through the HTTP
/// API, here through the engine and builder directly: a LoCoMo-layout conversation is replayed as
/// an agent's turns, then each question is the next prompt and the evidence turns among the
/// retained context's items are counted; beside it, the hybrid search's hits laid out as lines
/// until the same budget is spent. Turns, sessions, roles, times and the compaction are made
/// exactly as the script makes them, so the two agree.
/// </summary>
public static partial class RetentionReplay
{
    /// <summary>Reads a LoCoMo-layout file the way the replay script does (photos as their caption, evidence ids as written).</summary>
    public static IReadOnlyList<ReplayConversation> Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 64 });
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: a LoCoMo file is a JSON array of samples");
        }

        var result = new List<ReplayConversation>();
        var index = 0;
        foreach (var sample in document.RootElement.EnumerateArray())
        {
            index++;
            if (JsonValues.Property(sample, "conversation") is not { ValueKind: JsonValueKind.Object } conversation)
            {
                throw new InvalidDataException($"{path}: sample {index} has no conversation object");
            }

            var first = JsonValues.Text(conversation, "speaker_a");
            var numbers = conversation.EnumerateObject()
                .Select(p => SessionName().Match(p.Name))
                .Where(m => m.Success)
                .Select(m => int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture))
                .Order()
                .ToList();
            var turns = new List<ReplayTurn>();
            DateTimeOffset? last = null;
            foreach (var number in numbers)
            {
                var name = FormattableString.Invariant($"session_{number}");
                var start = LocomoDataset.ParseDate(JsonValues.Text(conversation, name + "_date_time"))
                    ?? (last ?? new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero)).AddDays(1);
                if (JsonValues.Property(conversation, name) is not { ValueKind: JsonValueKind.Array } list)
                {
                    continue;
                }

                var position = 0;
                foreach (var turn in list.EnumerateArray())
                {
                    var at = position++;
                    var text = JsonValues.Text(turn, "text") ?? string.Empty;
                    if (JsonValues.Text(turn, "blip_caption") is { Length: > 0 } caption)
                    {
                        text = $"{text} [shares a photo: {caption}]".Trim();
                    }

                    if (text.Length == 0 || JsonValues.Text(turn, "dia_id") is not { } id || JsonValues.Text(turn, "speaker") is not { } speaker)
                    {
                        continue;
                    }

                    last = start.AddSeconds(30 * at);
                    turns.Add(new ReplayTurn(id, number, speaker, speaker == first, text, last.Value));
                }
            }

            var questions = new List<ReplayQuestion>();
            if (JsonValues.Property(sample, "qa") is { ValueKind: JsonValueKind.Array } qa)
            {
                foreach (var item in qa.EnumerateArray())
                {
                    var evidence = JsonValues.Property(item, "evidence") is { ValueKind: JsonValueKind.Array } e
                        ? e.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToHashSet(StringComparer.Ordinal)
                        : [];
                    if (JsonValues.Text(item, "question") is { Length: > 0 } question && evidence.Count > 0)
                    {
                        var category = item.TryGetProperty("category", out var c) ? c.ToString() : "unknown";
                        questions.Add(new ReplayQuestion(question, LocomoDataset.CategoryNames.GetValueOrDefault(category, category), evidence));
                    }
                }
            }

            result.Add(new ReplayConversation(JsonValues.Text(sample, "sample_id") ?? FormattableString.Invariant($"sample-{index}"), turns, questions));
        }

        return result;
    }

    /// <summary>The agent a conversation is replayed as.</summary>
    public static string Agent(RetentionScenario scenario, int conversation) =>
        string.Create(CultureInfo.InvariantCulture, $"{(scenario == RetentionScenario.Compacted ? "c" : "n")}{conversation}");

    /// <summary>The session the question is asked in.</summary>
    public static string QuestionSession(RetentionScenario scenario, int conversation) =>
        scenario == RetentionScenario.Compacted ? Agent(scenario, conversation) + "-all" : Agent(scenario, conversation) + "-question";

    /// <summary>Stores a conversation as the agent's turns and, when compacted, records the compaction that keeps only the last turn.</summary>
    public static async Task IngestAsync(MemoryEngine engine, ReplayConversation conversation, int index, RetentionScenario scenario, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(conversation);
        var agent = Agent(scenario, index);
        string Session(ReplayTurn t) => scenario == RetentionScenario.Compacted ? agent + "-all" : string.Create(CultureInfo.InvariantCulture, $"{agent}-s{t.SessionNumber}");
        var turns = conversation.Turns
            .Select(t => new Turn(agent, Session(t), t.Id, null, t.FirstSpeaker ? "user" : "assistant", t.Text, t.Timestamp, "api", t.Timestamp.ToUnixTimeMilliseconds(), new TurnProvenance(t.Speaker)))
            .ToList();
        await engine.IngestTurnsAsync("api#replay", "api", turns, cancellationToken).ConfigureAwait(false);
        if (scenario == RetentionScenario.Compacted && turns.Count > 0)
        {
            var last = turns[^1];
            await engine.RecordCompactionAsync(
                new CompactionEvent(agent, last.Session, null, null, last.Timestamp!.Value.AddMinutes(1), 150_000, 2_000, null, last.EntryId, CompactionDetails.Empty, "plugin"),
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Asks each question of a stored conversation as the next prompt; one answer per question.</summary>
    public static async Task<IReadOnlyList<RetentionAnswer>> AskAsync(MemoryEngine engine, ReplayConversation conversation, int index, RetentionScenario scenario, int budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(conversation);
        var agent = Agent(scenario, index);
        var session = QuestionSession(scenario, index);
        IReadOnlyList<string> inContext = scenario == RetentionScenario.Compacted && conversation.Turns.Count > 0 ? [conversation.Turns[^1].Text] : [];
        var entries = new Dictionary<long, string>();
        async Task<IReadOnlyList<string>> EntriesAsync(IEnumerable<long> ids)
        {
            var missing = ids.Where(id => id > 0 && !entries.ContainsKey(id)).Distinct().ToList();
            foreach (var memory in await engine.GetMemoriesAsync(missing, cancellationToken).ConfigureAwait(false))
            {
                entries[memory.Id] = memory.EntryId.Split('#')[0];
            }

            return [.. ids.Where(entries.ContainsKey).Select(id => entries[id])];
        }

        var answers = new List<RetentionAnswer>();
        var clock = new Stopwatch();
        foreach (var question in conversation.Questions)
        {
            clock.Restart();
            var context = await engine.BuildContextAsync(new RetainedContextRequest(agent, session, null, question.Question, inContext, budget), cancellationToken).ConfigureAwait(false);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            var items = context.Items.Where(i => i.MemoryId > 0).ToList();
            var got = await EntriesAsync(items.Select(i => i.MemoryId)).ConfigureAwait(false);
            var lines = items.GroupBy(i => i.Line).Select(g => g.Select(i => entries.GetValueOrDefault(i.MemoryId)).ToList()).ToList();

            var hits = await engine.SearchAsync(new SearchRequest(question.Question, 60, new MemoryFilter(agent)), cancellationToken).ConfigureAwait(false);
            var found = new HashSet<string>(StringComparer.Ordinal);
            var used = 60;
            foreach (var hit in hits)
            {
                // The script's layout and its estimate of tokens (a quarter of the characters).
                var memory = hit.Memory;
                var stamp = memory.Timestamp?.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture) ?? string.Empty;
                var line = string.Create(CultureInfo.InvariantCulture, $"- [{stamp}, {memory.Speaker ?? memory.Role}, memory {memory.Id}] {(memory.Text.Length > 600 ? memory.Text[..600] : memory.Text)}");
                var cost = (line.Length / 4) + 1;
                if (used + cost > budget)
                {
                    break;
                }

                used += cost;
                found.Add(memory.EntryId.Split('#')[0]);
            }

            answers.Add(new RetentionAnswer(
                index,
                question.Category,
                question.Evidence.Count,
                question.Evidence.Count(got.Contains),
                question.Evidence.Count(found.Contains),
                context.Tokens,
                items.Count,
                got.Count(question.Evidence.Contains),
                lines.Count,
                lines.Count(l => l.Any(e => e is not null && question.Evidence.Contains(e))),
                elapsed));
        }

        return answers;
    }

    [GeneratedRegex(@"^session_(\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex SessionName();
}

/// <summary>The figures of a set of answers: evidence recall in the context and in search at the same budget, and what it cost.</summary>
public sealed record RetentionSummary(
    int Questions,
    double ContextRecall,
    double AnyEvidence,
    double SearchRecall,
    double MeanTokens,
    double MeanItems,
    double ItemPrecision,
    double LinePrecision,
    double P50Ms,
    double P95Ms,
    IReadOnlyDictionary<string, (int Questions, double Context, double Search)> ByCategory)
{
    public static RetentionSummary Of(IReadOnlyList<RetentionAnswer> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        var n = Math.Max(1, answers.Count);
        static double Recall(int found, int evidence) => evidence == 0 ? 0 : (double)found / evidence;
        var times = answers.Select(a => a.Milliseconds).Order().ToList();
        var items = answers.Sum(a => a.Items);
        var lines = answers.Sum(a => a.Lines);
        return new RetentionSummary(
            answers.Count,
            answers.Sum(a => Recall(a.EvidenceInContext, a.Evidence)) / n,
            answers.Count(a => a.EvidenceInContext > 0) / (double)n,
            answers.Sum(a => Recall(a.EvidenceBySearch, a.Evidence)) / n,
            answers.Count == 0 ? 0 : answers.Average(a => a.Tokens),
            answers.Count == 0 ? 0 : answers.Average(a => a.Items),
            items == 0 ? 0 : answers.Sum(a => a.EvidenceItems) / (double)items,
            lines == 0 ? 0 : answers.Sum(a => a.EvidenceLines) / (double)lines,
            RecallEvaluator.Percentile(times, 0.5),
            RecallEvaluator.Percentile(times, 0.95),
            answers.GroupBy(a => a.Category).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(
                g => g.Key,
                g => (g.Count(), g.Sum(a => Recall(a.EvidenceInContext, a.Evidence)) / g.Count(), g.Sum(a => Recall(a.EvidenceBySearch, a.Evidence)) / g.Count())));
    }
}
