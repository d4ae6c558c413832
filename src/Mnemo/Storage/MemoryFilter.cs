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
}
