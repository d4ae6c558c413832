using Mnemo.Domain;
using Mnemo.Retention;
using Mnemo.Search;

namespace Mnemo.Server.Api;

/// <summary>Domain objects to wire types.</summary>
internal static class ApiMapping
{
    public static MemoryJson ToJson(this Memory memory) =>
        new(memory.Id, memory.Agent, memory.Session, memory.EntryId, memory.Role, memory.Text, memory.Timestamp, memory.Source, memory.Untrusted, memory.Speaker);

    public static HitJson ToJson(this SearchHit hit) => new(hit.Memory.ToJson(), Math.Round(hit.Score, 4), hit.Snippet);

    public static ContextItemJson ToJson(this RetainedItem item) =>
        new(item.Origin, item.Kind.ToString(), item.Text, item.MemoryId, item.Timestamp, item.Session, item.Role, item.Untrusted, item.Line);

    public static CompactionJson ToJson(this Compaction compaction)
    {
        var e = compaction.Event;
        return new CompactionJson(
            compaction.Id, e.Agent, e.Session, e.SessionKey, e.EntryId, e.Timestamp, e.TokensBefore, e.TokensAfter, e.Summary, e.FirstKeptEntryId,
            compaction.FromSequence, compaction.ToSequence, [.. e.Details.ReadFiles], [.. e.Details.ModifiedFiles], e.Details.LatestUnresolvedRequest,
            e.Origin, compaction.RecordedAt);
    }
}
