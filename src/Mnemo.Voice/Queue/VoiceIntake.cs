using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Mnemo.Voice.Audio;

namespace Mnemo.Voice.Queue;

/// <summary>
/// Where voice notes come in from disk: the data directory's <c>voice/inbox</c> (anything put
/// there is meant to be transcribed) and OpenClaw's <c>media/inbound</c> (only what is audio: photos
/// live there too). Watched for changes, and swept by the <c>voice-sweep</c> job as a backstop.
/// Also deletes Mnemo's own copies of audio after <see cref="VoiceOptions.KeepAudioDays"/>; OpenClaw's
/// files are OpenClaw's and are never deleted.
/// </summary>
public sealed partial class VoiceIntake : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);
    private readonly VoiceWorkers _workers;
    private readonly VoiceOptions _options;
    private readonly string _dataDirectory;
    private readonly string? _openClawInbound;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, (long Length, DateTime Modified)> _seen = new(StringComparer.Ordinal);
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly SemaphoreSlim _sweeping = new(1, 1);

    public VoiceIntake(VoiceWorkers workers, VoiceOptions options, string dataDirectory, string? openClawStateDirectory, TimeProvider time, ILogger<VoiceIntake> logger)
    {
        _workers = workers;
        _options = options;
        _dataDirectory = dataDirectory;
        _openClawInbound = openClawStateDirectory is null ? null : Path.Combine(openClawStateDirectory, "media", "inbound");
        _time = time;
        _logger = logger;
    }

    public string Inbox => VoiceOptions.InboxDirectory(_dataDirectory);

    /// <summary>Queues every new recording in the watched folders; returns how many were queued.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await _sweeping.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(Inbox);
            var queued = await SweepFolderAsync(Inbox, "inbox", audioOnly: false, cancellationToken).ConfigureAwait(false);
            if (_openClawInbound is not null && Directory.Exists(_openClawInbound))
            {
                queued += await SweepFolderAsync(_openClawInbound, "openclaw", audioOnly: true, cancellationToken).ConfigureAwait(false);
            }

            if (queued > 0)
            {
                _workers.Signal();
            }

            return queued;
        }
        finally
        {
            _sweeping.Release();
        }
    }

    /// <summary>Deletes Mnemo's own audio (inbox, uploads) of finished jobs older than the retention.</summary>
    public async Task<int> DeleteOldAudioAsync(CancellationToken cancellationToken)
    {
        if (_options.KeepAudioDays == 0)
        {
            return 0;
        }

        var deleted = 0;
        var own = new[] { Inbox, VoiceOptions.UploadDirectory(_dataDirectory) }.Select(d => Path.GetFullPath(d) + Path.DirectorySeparatorChar).ToList();
        foreach (var (id, path) in await _workers.Jobs.AudioToDeleteAsync(_time.GetUtcNow() - TimeSpan.FromDays(_options.KeepAudioDays), cancellationToken).ConfigureAwait(false))
        {
            if (own.Any(d => path.StartsWith(d, StringComparison.Ordinal)) && File.Exists(path))
            {
                File.Delete(path);
                deleted++;
            }

            await _workers.Jobs.MarkAudioDeletedAsync(id, cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>Starts watching the folders; a change triggers a sweep once the file settles.</summary>
    public void Watch()
    {
        Directory.CreateDirectory(Inbox);
        foreach (var folder in new[] { Inbox, _openClawInbound }.Where(f => f is not null && Directory.Exists(f)))
        {
            var watcher = new FileSystemWatcher(folder!) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.LastWrite };
            watcher.Created += (_, _) => SweepSoon();
            watcher.Changed += (_, _) => SweepSoon();
            watcher.Renamed += (_, _) => SweepSoon();
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _sweeping.Dispose();
    }

    private void SweepSoon() => _ = Task.Run(async () =>
    {
        try
        {
            await Task.Delay(Settle, _time).ConfigureAwait(false);
            await SweepAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed sweep is logged; the scheduled sweep tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.SweepFailed(_logger, ex);
        }
    });

    private async Task<int> SweepFolderAsync(string folder, string origin, bool audioOnly, CancellationToken cancellationToken)
    {
        var queued = 0;
        foreach (var path in Directory.EnumerateFiles(folder))
        {
            var info = new FileInfo(path);
            if (info.Name.StartsWith('.') || _time.GetUtcNow().UtcDateTime - info.LastWriteTimeUtc < Settle
                || (_seen.TryGetValue(path, out var seen) && seen == (info.Length, info.LastWriteTimeUtc)))
            {
                continue;
            }

            if (audioOnly && !LooksLikeAudio(path))
            {
                _seen[path] = (info.Length, info.LastWriteTimeUtc);
                continue;
            }

            try
            {
                var (_, added) = await _workers.Jobs.EnqueueAsync(path, origin, null, null, cancellationToken).ConfigureAwait(false);
                _seen[path] = (info.Length, info.LastWriteTimeUtc);
                if (added)
                {
                    queued++;
                }
            }
            catch (IOException)
            {
                // Still being written or gone: the next sweep looks again.
            }
        }

        return queued;
    }

    private static bool LooksLikeAudio(string path)
    {
        try
        {
            Span<byte> head = stackalloc byte[12];
            using var file = File.OpenRead(path);
            return AudioDecoder.Detect(head[..file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)]) is not null;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 810, Level = LogLevel.Warning, Message = "sweeping the voice folders failed")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
