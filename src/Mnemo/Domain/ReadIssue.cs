namespace Mnemo.Domain;

/// <summary>Something a reader could not read; the reader skips it and goes on.</summary>
/// <param name="Source">The file or database.</param>
/// <param name="Line">1-based line (JSONL) or row sequence (SQLite), when there is one.</param>
/// <param name="Message">What was wrong, in words a user can act on.</param>
public sealed record ReadIssue(string Source, long? Line, string Message)
{
    public override string ToString() => Line is { } l ? $"{Source}:{l}: {Message}" : $"{Source}: {Message}";
}
