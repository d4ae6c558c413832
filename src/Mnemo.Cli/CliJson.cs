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
            new ScoresJson(hit.Scores.Vector, hit.Scores.Text, hit.Scores.Neighbour, hit.Scores.Recency, hit.Scores.Fused), hit.Snippet, m.Text);
    }
}

internal sealed record HitJson(long Id, string Agent, string Session, string EntryId, string Role, string? Speaker, DateTimeOffset? Time, string Source, bool Untrusted, double Score, ScoresJson Scores, string Snippet, string Text);

internal sealed record ScoresJson(double? Vector, double? Text, double Neighbour, double Recency, double Fused);

internal sealed record IssueJson(string Source, long? Line, string Message);

internal sealed record IngestJson(int Sources, long TurnsRead, long Added, long Updated, long Unchanged, long Embedded, long Skipped, double Seconds, IReadOnlyList<IssueJson> Issues);

internal sealed record StatsJson(long Memories, long Sessions, long Agents, long Sources, long Embeddings, long AuditEvents, DateTimeOffset? Oldest, DateTimeOffset? Newest, long DatabaseBytes, string? EmbeddingModel, string IndexKind, long IndexVectors, string DataDirectory);

[JsonSerializable(typeof(List<HitJson>))]
[JsonSerializable(typeof(IngestJson))]
[JsonSerializable(typeof(StatsJson))]
[JsonSerializable(typeof(EvalReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
