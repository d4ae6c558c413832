namespace Mnemo.Storage;

/// <summary>
/// The source of truth for memories: their text and vectors, the full-text index, source cursors
/// and the append-only audit log whose ids are the change sequence derived data (the vector
/// index) catches up from. Embedded: <see cref="SqliteMemoryStore"/>; shared by several nodes:
/// the PostgreSQL store in Mnemo.Postgres. Both pass the same contract tests. Its parts by role:
/// <see cref="IMemoryWriteStore"/>, <see cref="IMemorySearchStore"/>, <see cref="IMemoryReadStore"/>
/// and <see cref="IMemoryChangeFeed"/>; a component takes the part it uses.
/// </summary>
public interface IMemoryStore : IMemoryWriteStore, IMemorySearchStore, IMemoryReadStore, IMemoryChangeFeed, IAsyncDisposable
{
    /// <summary>Where the store lives, for messages (a file path, or a database without its password).</summary>
    string Location { get; }
}
