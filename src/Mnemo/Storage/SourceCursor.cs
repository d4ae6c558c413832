namespace Mnemo.Storage;

/// <summary>Where reading a source stopped; written in the same transaction as the turns before it.</summary>
public sealed record SourceCursor(string Source, string Format, string Cursor);
