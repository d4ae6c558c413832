using System.Globalization;
using System.Text.Json;
using Mnemo.Domain;
using Mnemo.Readers;

namespace Mnemo.Datasets;

/// <summary>
/// LongMemEval: a JSON array of questions, each with its own haystack of dated sessions.
/// Session ids are labels only: in the eval they are replaced by opaque ones, and the
/// <c>has_answer</c> flags become gold evidence, never indexed text.
/// </summary>
public static class LongMemEvalDataset
{
    private static readonly string[] DateFormats = ["yyyy/MM/dd (ddd) HH:mm", "yyyy/MM/dd HH:mm", "yyyy/MM/dd"];

    /// <summary>One conversation per question, with opaque session labels.</summary>
    public static IReadOnlyList<EvalConversation> Load(string path, ICollection<ReadIssue> issues)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(issues);
        var result = new List<EvalConversation>();
        foreach (var (index, item) in Items(path, issues))
        {
            var questionId = JsonValues.Text(item, "question_id") ?? FormattableString.Invariant($"q{index}");
            var question = JsonValues.Text(item, "question");
            if (string.IsNullOrWhiteSpace(question))
            {
                issues.Add(new ReadIssue(path, index, "question without text; skipped"));
                continue;
            }

            var turns = new List<Turn>();
            var evidence = new List<string>();
            foreach (var (session, label, date, sessionTurns) in Sessions(item))
            {
                var agent = "longmemeval";
                var opaque = FormattableString.Invariant($"s{label}");
                var hasAnswer = false;
                var position = 0L;
                foreach (var turn in sessionTurns)
                {
                    position++;
                    hasAnswer |= JsonValues.Property(turn, "has_answer") is { ValueKind: JsonValueKind.True };
                    if (MakeTurn(agent, opaque, position, date, turn, path) is { } t)
                    {
                        turns.Add(t);
                    }
                }

                _ = session;
                if (hasAnswer)
                {
                    evidence.Add(opaque);
                }
            }

            var category = JsonValues.Text(item, "question_type") ?? "unknown";
            result.Add(new EvalConversation(questionId, turns, [new EvalQuestion(questionId, question, category, evidence, EvidenceIsSession: true, ParseDate(JsonValues.Text(item, "question_date")))]));
        }

        return result;
    }

    /// <summary>All haystack sessions of the file, each once, under their own ids (for plain ingest).</summary>
    public static IReadOnlyList<Turn> LoadTurns(string path, string? agentOverride, ICollection<ReadIssue> issues)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var turns = new List<Turn>();
        foreach (var (_, item) in Items(path, issues))
        {
            foreach (var (session, _, date, sessionTurns) in Sessions(item))
            {
                if (!seen.Add(session))
                {
                    continue;
                }

                var position = 0L;
                foreach (var turn in sessionTurns)
                {
                    position++;
                    if (MakeTurn(agentOverride ?? "longmemeval", session, position, date, turn, path) is { } t)
                    {
                        turns.Add(t);
                    }
                }
            }
        }

        return turns;
    }

    private static Turn? MakeTurn(string agent, string session, long position, DateTimeOffset? date, JsonElement turn, string path)
    {
        var role = JsonValues.Text(turn, "role");
        var content = JsonValues.Text(turn, "content");
        if (role is null || string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        return new Turn(agent, session, FormattableString.Invariant($"{session}:{position}"), null, role, content.Trim(), date?.AddSeconds(position), path, position, TurnProvenance.Default);
    }

    private static IEnumerable<(int Index, JsonElement Item)> Items(string path, ICollection<ReadIssue> issues)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 64 });
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: a LongMemEval file is a JSON array of questions");
        }

        var index = 0;
        foreach (var item in document.RootElement.EnumerateArray())
        {
            index++;
            if (item.ValueKind != JsonValueKind.Object)
            {
                issues.Add(new ReadIssue(path, index, "question is not a JSON object; skipped"));
                continue;
            }

            yield return (index, item.Clone());
        }
    }

    private static IEnumerable<(string Session, int Label, DateTimeOffset? Date, IEnumerable<JsonElement> Turns)> Sessions(JsonElement item)
    {
        if (JsonValues.Property(item, "haystack_sessions") is not { ValueKind: JsonValueKind.Array } sessions)
        {
            yield break;
        }

        var ids = JsonValues.Property(item, "haystack_session_ids") is { ValueKind: JsonValueKind.Array } idList ? idList.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToList() : [];
        var dates = JsonValues.Property(item, "haystack_dates") is { ValueKind: JsonValueKind.Array } dateList ? dateList.EnumerateArray().Select(e => e.GetString()).ToList() : [];
        var i = 0;
        foreach (var session in sessions.EnumerateArray())
        {
            var id = i < ids.Count && ids[i].Length > 0 ? ids[i] : FormattableString.Invariant($"session-{i + 1}");
            var date = i < dates.Count ? ParseDate(dates[i]) : null;
            if (session.ValueKind == JsonValueKind.Array)
            {
                yield return (id, i + 1, date, session.EnumerateArray());
            }

            i++;
        }
    }

    internal static DateTimeOffset? ParseDate(string? text) =>
        text is not null && DateTime.TryParseExact(text.Trim(), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? new DateTimeOffset(parsed, TimeSpan.Zero)
            : null;
}
