using System.Text.Json;
using System.Text.Json.Serialization;
using Mnemo.Evaluation;
using Mnemo.Search;
using Mnemo.Storage;

namespace Mnemo.Cli;

/// <summary>JSON shapes printed with <c>--json</c>: a stable contract for other tools.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = CliJsonContext.Default,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static HitJson ToJson(SearchHit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        var m = hit.Memory;
        return new HitJson(m.Id, m.Agent, m.Session, m.EntryId, m.Role, m.Speaker, m.Timestamp, m.Source, m.Untrusted, hit.Score,
            new ScoresJson(hit.Scores.Vector, hit.Scores.Text, hit.Scores.Neighbour, hit.Scores.Weight, hit.Scores.Recency, hit.Scores.Fused), hit.Snippet, m.Text);
    }
}
