namespace Mnemo.Readers;

/// <summary>One source to read.</summary>
/// <param name="Path">File or database path.</param>
/// <param name="Agent">Agent id to use instead of the one the source implies.</param>
/// <param name="Cursor">Where the previous run stopped (reader-specific), or null to read from the start.</param>
public sealed record ReadRequest(string Path, string? Agent, string? Cursor);
