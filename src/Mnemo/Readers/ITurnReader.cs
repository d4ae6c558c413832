namespace Mnemo.Readers;

/// <summary>
/// Reads one kind of source into normalized turns. Readers never embed or store; they report what
/// they cannot read as <see cref="IssueRead"/> items and go on.
/// </summary>
public interface ITurnReader
{
    /// <summary>The format name used on the command line (<c>--format</c>).</summary>
    string Format { get; }

    IAsyncEnumerable<ReadItem> ReadAsync(ReadRequest request, CancellationToken cancellationToken);
}
