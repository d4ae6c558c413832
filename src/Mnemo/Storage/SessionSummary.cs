namespace Mnemo.Storage;

/// <summary>One conversation as stored: how many turns, from when to when.</summary>
public sealed record SessionSummary(string Agent, string Session, long Turns, DateTimeOffset? First, DateTimeOffset? Last);
