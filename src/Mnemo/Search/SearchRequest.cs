using Mnemo.Storage;

namespace Mnemo.Search;

/// <summary>A search: the query, how many hits, filters, and optional diversity and recency.</summary>
public sealed record SearchRequest(string Query, int K = 10, MemoryFilter? Filter = null, bool Diversify = false, bool Recency = false)
{
    /// <summary>The most hits a caller may ask one search for, on every surface: HTTP, MCP and the CLI.</summary>
    public const int MaxK = 100;

    /// <summary>Why <paramref name="k"/> cannot be asked for (a message naming it), or null when it can.</summary>
    public static string? CheckK(int k) => k is < 1 or > MaxK ? $"k must be between 1 and {MaxK}, not {k}" : null;

    /// <summary>When the question is asked: relative dates in it ("last Saturday") count back from here. Null: now.</summary>
    public DateTimeOffset? At { get; init; }
}
