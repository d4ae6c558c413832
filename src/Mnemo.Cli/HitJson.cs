namespace Mnemo.Cli;

/// <summary>One search hit as <c>mnemo search --json</c> prints it.</summary>
internal sealed record HitJson(long Id, string Agent, string Session, string EntryId, string Role, string? Speaker, DateTimeOffset? Time, string Source, bool Untrusted, double Score, ScoresJson Scores, string Snippet, string Text);
