using Mnemo.Domain;
using Mnemo.Readers;

namespace Mnemo.Tests.Support;

/// <summary>Collects what a reader yields.</summary>
public static class Items
{
    public static async Task<(List<Turn> Turns, List<ReadIssue> Issues, string? LastCursor)> ReadAllAsync(ITurnReader reader, string path, string? cursor = null, string? agent = null)
    {
        var turns = new List<Turn>();
        var issues = new List<ReadIssue>();
        string? last = null;
        await foreach (var item in reader.ReadAsync(new ReadRequest(path, agent, cursor), CancellationToken.None))
        {
            switch (item)
            {
                case TurnRead t:
                    turns.Add(t.Turn);
                    break;
                case IssueRead i:
                    issues.Add(i.Issue);
                    break;
                case CheckpointRead c:
                    last = c.Cursor;
                    break;
            }
        }

        return (turns, issues, last);
    }
}
