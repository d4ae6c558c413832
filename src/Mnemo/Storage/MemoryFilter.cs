namespace Mnemo.Storage;

/// <summary>Restricts a search to some memories. Null members do not filter.</summary>
public sealed record MemoryFilter(
    string? Agent = null,
    string? Session = null,
    string? Role = null,
    string? Source = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null)
{
    public static MemoryFilter None { get; } = new();

    public bool IsEmpty => Agent is null && Session is null && Role is null && Source is null && Since is null && Until is null;

    /// <summary>
    /// The filter as SQL conditions on the memories table, with a name for each value: both stores
    /// render them with their own parameter prefix. Times are Unix milliseconds, as stored.
    /// </summary>
    internal IEnumerable<(string Condition, string Name, object Value)> Conditions()
    {
        if (Agent is not null)
        {
            yield return ("agent =", "fAgent", Agent);
        }

        if (Session is not null)
        {
            yield return ("session =", "fSession", Session);
        }

        if (Role is not null)
        {
            yield return ("role =", "fRole", Role);
        }

        if (Source is not null)
        {
            yield return ("source =", "fSource", Source);
        }

        if (Since is { } since)
        {
            yield return ("ts >=", "fSince", since.ToUnixTimeMilliseconds());
        }

        if (Until is { } until)
        {
            yield return ("ts <", "fUntil", until.ToUnixTimeMilliseconds());
        }
    }
}
