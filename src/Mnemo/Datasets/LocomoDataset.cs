using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mnemo.Domain;
using Mnemo.Readers;

namespace Mnemo.Datasets;

/// <summary>
/// The LoCoMo long-conversation benchmark: a JSON array of samples, each with a
/// <c>conversation</c> (<c>session_N</c> turn lists and <c>session_N_date_time</c>) and a <c>qa</c> list.
/// Shared images are kept as their caption, since the caption is what the turn showed.
/// </summary>
public static partial class LocomoDataset
{
    public static readonly IReadOnlyDictionary<string, string> CategoryNames = new Dictionary<string, string>
    {
        ["1"] = "multi-hop",
        ["2"] = "temporal",
        ["3"] = "open-domain",
        ["4"] = "single-hop",
        ["5"] = "adversarial",
    };

    private static readonly string[] DateFormats = ["h:mm tt 'on' d MMMM, yyyy", "h:mm tt 'on' d MMM, yyyy", "h:mm tt 'on' dd MMMM, yyyy"];

    /// <summary>Reads every conversation; problems are reported through <paramref name="issues"/>.</summary>
    public static IReadOnlyList<EvalConversation> Load(string path, string? agentOverride, ICollection<ReadIssue> issues)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(issues);
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 64 });
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: a LoCoMo file is a JSON array of samples");
        }

        var result = new List<EvalConversation>();
        var index = 0;
        foreach (var sample in document.RootElement.EnumerateArray())
        {
            index++;
            if (JsonValues.Property(sample, "conversation") is not { ValueKind: JsonValueKind.Object } conversation)
            {
                issues.Add(new ReadIssue(path, index, "sample without a conversation object; skipped"));
                continue;
            }

            var sampleId = JsonValues.Text(sample, "sample_id") ?? FormattableString.Invariant($"sample-{index}");
            var agent = agentOverride ?? sampleId;
            var turns = ReadTurns(path, agent, conversation, issues);
            result.Add(new EvalConversation(sampleId, turns, ReadQuestions(sampleId, sample)));
        }

        return result;
    }

    private static List<Turn> ReadTurns(string path, string agent, JsonElement conversation, ICollection<ReadIssue> issues)
    {
        var sessions = new List<(int Number, JsonElement Turns)>();
        foreach (var property in conversation.EnumerateObject())
        {
            var match = SessionKey().Match(property.Name);
            if (match.Success && property.Value.ValueKind == JsonValueKind.Array)
            {
                sessions.Add((int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture), property.Value));
            }
        }

        var turns = new List<Turn>();
        foreach (var (number, sessionTurns) in sessions.OrderBy(s => s.Number))
        {
            var session = FormattableString.Invariant($"session_{number}");
            var date = ParseDate(JsonValues.Text(conversation, session + "_date_time"));
            var position = 0L;
            foreach (var turn in sessionTurns.EnumerateArray())
            {
                position++;
                var speaker = JsonValues.Text(turn, "speaker");
                var id = JsonValues.Text(turn, "dia_id");
                var text = JsonValues.Text(turn, "text") ?? string.Empty;
                if (speaker is null || id is null)
                {
                    issues.Add(new ReadIssue(path, null, $"{agent} {session} turn {position}: needs speaker and dia_id; skipped"));
                    continue;
                }

                if (JsonValues.Text(turn, "blip_caption") is { Length: > 0 } caption)
                {
                    text = $"{text} [shares a photo: {caption}]";
                }

                if (string.IsNullOrWhiteSpace(text))
                {
                    continue;
                }

                // Turns of a session share its date; keep them ordered by adding the position in seconds.
                var timestamp = date?.AddSeconds(position);
                turns.Add(new Turn(agent, session, id, null, speaker, text.Trim(), timestamp, path, number * 10_000L + position, new TurnProvenance(Speaker: speaker)));
            }
        }

        return turns;
    }

    private static List<EvalQuestion> ReadQuestions(string sampleId, JsonElement sample)
    {
        var questions = new List<EvalQuestion>();
        if (JsonValues.Property(sample, "qa") is not { ValueKind: JsonValueKind.Array } qa)
        {
            return questions;
        }

        var number = 0;
        foreach (var item in qa.EnumerateArray())
        {
            number++;
            var question = JsonValues.Text(item, "question");
            if (string.IsNullOrWhiteSpace(question))
            {
                continue;
            }

            var evidence = new List<string>();
            if (JsonValues.Property(item, "evidence") is { ValueKind: JsonValueKind.Array } list)
            {
                foreach (var e in list.EnumerateArray())
                {
                    // Some gold labels are written "D8:6; D9:17" or "D:11:26"; take every turn id they name.
                    foreach (Match m in EvidenceId().Matches(e.GetString() ?? string.Empty))
                    {
                        evidence.Add($"D{m.Groups[1].Value}:{m.Groups[2].Value}");
                    }
                }
            }

            var category = JsonValues.Text(item, "category") ?? "unknown";
            questions.Add(new EvalQuestion($"{sampleId}/q{number}", question, category, evidence.Distinct().ToList(), EvidenceIsSession: false));
        }

        return questions;
    }

    internal static DateTimeOffset? ParseDate(string? text) =>
        text is not null && DateTime.TryParseExact(text.Trim(), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? new DateTimeOffset(parsed, TimeSpan.Zero)
            : null;

    [GeneratedRegex(@"^session_(\d+)$")]
    private static partial Regex SessionKey();

    [GeneratedRegex(@"D:?(\d+):(\d+)")]
    private static partial Regex EvidenceId();
}
