namespace Mnemo.Server.Hosting;

/// <summary>
/// One <c>mnemo serve</c> per data directory: the first holds an exclusive lock on
/// <c>serve.lock</c> there for as long as it runs (the operating system drops it when the process
/// ends, however it ends); a second one refuses to start with a clear message rather than racing
/// the first over the vector index file and the schedule. The command-line tools do not take it:
/// they work beside a running serve.
/// </summary>
internal sealed class ServeLock : IDisposable
{
    public const string FileName = "serve.lock";

    private readonly FileStream _file;

    private ServeLock(FileStream file) => _file = file;

    /// <exception cref="InvalidOperationException">Another serve holds the data directory.</exception>
    public static ServeLock Acquire(string dataDirectory)
    {
        Mnemo.DataDirectory.Ensure(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix and a share-deny lock on Windows.
            return new ServeLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"another mnemo serve is already using the data directory {dataDirectory}; stop it first, or give this one a data directory of its own (--data-dir)", ex);
        }
    }

    public void Dispose() => _file.Dispose();
}
