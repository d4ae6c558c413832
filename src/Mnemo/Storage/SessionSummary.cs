namespace Mnemo.Storage;

/// <summary>One conversation as stored: how many turns, from when to when.</summary>
public sealed record SessionSummary(string Agent, string Session, long Turns, DateTimeOffset? First, DateTimeOffset? Last)
{
    /// <summary>A row of both stores' sessions query: agent, session, turns, first and last time.</summary>
    internal static SessionSummary Read(System.Data.Common.DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetInt64(2),
        reader.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        reader.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)));
}
