using Mnemo.Storage;

namespace Mnemo.Search;

/// <summary>A search: the query, how many hits, filters, and optional diversity and recency.</summary>
public sealed record SearchRequest(string Query, int K = 10, MemoryFilter? Filter = null, bool Diversify = false, bool Recency = false)
{
    /// <summary>When the question is asked: relative dates in it ("last Saturday") count back from here. Null: now.</summary>
    public DateTimeOffset? At { get; init; }
}
