namespace Mnemo.Cli.Commands;

/// <summary>Wakes the serve loop when anything under the OpenClaw directory changes, or after the poll interval.</summary>
internal sealed class OpenClawFollower : IDisposable
{
    private readonly FileSystemWatcher? _watcher;
    private readonly SemaphoreSlim _changed = new(0, 1);

    public OpenClawFollower(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        try
        {
            // Watch the transcripts only: the rest of the state directory (workspace, plugins) can
            // be large, and every watched folder costs an inotify watch.
            _watcher = new FileSystemWatcher(Readers.SourceDiscovery.OpenClawAgentsDirectory(directory) ?? directory)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName,
            };
            _watcher.Changed += (_, _) => Signal();
            _watcher.Created += (_, _) => Signal();
            _watcher.Renamed += (_, _) => Signal();
            _watcher.EnableRaisingEvents = true;
        }
        catch (IOException)
        {
            // Out of inotify watches: polling alone still works.
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    public async Task WaitForChangeAsync(TimeSpan poll, CancellationToken cancellationToken)
    {
        await _changed.WaitAsync(poll, cancellationToken).ConfigureAwait(false);

        // Let a burst of writes settle before reading.
        await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
    }

    private void Signal()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _changed.Dispose();
    }
}
