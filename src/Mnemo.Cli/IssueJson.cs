namespace Mnemo.Cli;

/// <summary>Something an ingest skipped.</summary>
internal sealed record IssueJson(string Source, long? Line, string Message);
