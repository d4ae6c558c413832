namespace Mnemo.Readers;

/// <summary>One line of a JSON Lines file, as raw bytes.</summary>
/// <param name="Number">1-based line number.</param>
/// <param name="Bytes">The line without its terminator; empty when <paramref name="TooLong"/>.</param>
/// <param name="NextOffset">Byte offset just after this line (where a resumed read starts).</param>
/// <param name="Terminated">False when the file ended without a newline after this line.</param>
/// <param name="TooLong">True when the line exceeded the reader's limit and was skipped.</param>
internal readonly record struct JsonlLine(long Number, ReadOnlyMemory<byte> Bytes, long NextOffset, bool Terminated, bool TooLong);
