using Microsoft.Extensions.Logging;
using Mnemo.Domain;
using Mnemo.Voice.Audio;
using Mnemo.Voice.Transcription;

namespace Mnemo.Voice.Queue;

/// <summary>
/// Drains the transcription queue with a bounded pool of workers: each claims a job, decodes the
/// audio, transcribes it and stores the words as a memory of the agent (with the file, duration,
/// language, engine and model on the job). A job that fails is retried with backoff up to
/// <see cref="VoiceOptions.MaxAttempts"/> and then marked failed with its reason; audio that can
/// never be read fails at once. No job blocks the others.
/// </summary>
public sealed partial class VoiceWorkers : IDisposable
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);
    private readonly MemoryEngine _engine;
    private readonly VoiceJobStore _jobs;
    private readonly VoiceOptions _options;
    private readonly string _dataDirectory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Func<ITranscriber> _createTranscriber;
    private readonly Lock _gate = new();
    private ITranscriber? _transcriber;

    public VoiceWorkers(MemoryEngine engine, VoiceJobStore jobs, VoiceOptions options, string dataDirectory, TimeProvider time, ILogger<VoiceWorkers> logger, Func<ITranscriber>? transcriber = null)
    {
        _engine = engine;
        _jobs = jobs;
        _options = options;
        _dataDirectory = dataDirectory;
        _time = time;
        _logger = logger;
        _createTranscriber = transcriber ?? (() => TranscriberFactory.Create(options, dataDirectory));
    }

    public VoiceJobStore Jobs => _jobs;

    /// <summary>A job was queued: wake a worker.</summary>
    public void Signal() => _wake.Release();

    /// <summary>Runs the workers until stopped; jobs a killed process left running are queued again first.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var requeued = await _jobs.RequeueRunningAsync(cancellationToken).ConfigureAwait(false);
        if (requeued > 0)
        {
            Log.Requeued(_logger, requeued);
        }

        var workers = Enumerable.Range(0, _options.Workers).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None)).ToList();
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    /// <summary>Claims and processes one job; false when none was due.</summary>
    public async Task<bool> ProcessNextAsync(CancellationToken cancellationToken)
    {
        var job = await _jobs.ClaimAsync(cancellationToken).ConfigureAwait(false);
        if (job is null)
        {
            return false;
        }

        await ProcessAsync(job, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Processes one queued job now (the HTTP endpoint answers with its text); null when it is not queued.</summary>
    public async Task<(VoiceJob Job, Transcript? Transcript)?> ProcessNowAsync(long id, CancellationToken cancellationToken)
    {
        if (await _jobs.ClaimAsync(id, cancellationToken).ConfigureAwait(false) is not { } job)
        {
            return null;
        }

        var transcript = await ProcessAsync(job, cancellationToken).ConfigureAwait(false);
        return ((await _jobs.GetAsync(id, cancellationToken).ConfigureAwait(false))!, transcript);
    }

    public void Dispose()
    {
        _transcriber?.Dispose();

        _wake.Dispose();
    }

    /// <summary>
    /// The engine, loaded once and shared by the workers. Not a Lazy: a failure (no model yet) must
    /// not be cached, so a model pulled later is picked up by the next job.
    /// </summary>
    private ITranscriber Transcriber()
    {
        lock (_gate)
        {
            return _transcriber ??= _createTranscriber();
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!await ProcessNextAsync(cancellationToken).ConfigureAwait(false))
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    await Task.WhenAny(_wake.WaitAsync(linked.Token), Task.Delay(Idle, _time, linked.Token)).ConfigureAwait(false);
                    await linked.CancelAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A store error must not end the worker: log, wait, go on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.WorkerFailed(_logger, ex);
                await Task.Delay(Idle, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<Transcript?> ProcessAsync(VoiceJob job, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.JobTimeout);
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = _jobs.IsShared ? RenewWhileWorkingAsync(job.Id, renewing.Token) : Task.CompletedTask;
        string? fetched = null;
        try
        {
            var located = await _jobs.LocateAudioAsync(job, Path.Combine(_dataDirectory, "voice", "shared"), timeout.Token).ConfigureAwait(false)
                ?? throw new FileNotFoundException($"the recording of voice job {job.Id} ({job.Path}) is on no node and not in the store");
            fetched = located.Fetched ? located.Path : null;
            var audio = await Task.Run(() => AudioDecoder.Decode(located.Path, _options.MaxDuration), timeout.Token).ConfigureAwait(false);
            var transcriber = Transcriber();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var transcript = await transcriber.TranscribeAsync(audio, timeout.Token).ConfigureAwait(false);
            if (transcript.Duration > TimeSpan.Zero)
            {
                Telemetry.VoiceRealTimeFactor.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started) / transcript.Duration, new KeyValuePair<string, object?>("engine", transcript.Engine));
            }

            var memoryId = transcript.Text.Length == 0 ? (long?)null : await StoreAsync(job, transcript, cancellationToken).ConfigureAwait(false);
            await _jobs.CompleteAsync(job.Id, memoryId, transcript.Duration, transcript.Language, transcript.Engine, transcript.Model, CancellationToken.None).ConfigureAwait(false);
            Log.Done(_logger, job.Id, (long)transcript.Duration.TotalMilliseconds, transcript.Engine);
            return transcript;
        }
        catch (Exception ex) when (ex is AudioFormatException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            // Audio that cannot be read now will not be readable on a retry.
            await _jobs.FailAsync(job.Id, ex.Message, retryAfter: null, CancellationToken.None).ConfigureAwait(false);
            Log.Failed(_logger, job.Id, ex.Message);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _jobs.FailAsync(job.Id, "stopped while transcribing", TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
#pragma warning disable CA1031 // Any other failure (model, engine, timeout) is recorded and retried; it must not stop the queue.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var reason = ex is OperationCanceledException ? $"timed out after {_options.JobTimeout}" : ex.Message;
            var retry = job.Attempts < _options.MaxAttempts ? TimeSpan.FromMinutes(Math.Pow(2, job.Attempts - 1)) : (TimeSpan?)null;
            await _jobs.FailAsync(job.Id, reason, retry, CancellationToken.None).ConfigureAwait(false);
            Log.Failed(_logger, job.Id, reason);
            return null;
        }
        finally
        {
            await renewing.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (fetched is not null)
            {
                File.Delete(fetched);
            }
        }
    }

    /// <summary>Keeps this node's claim on a job alive while it works (shared store): renewed every third of the lease.</summary>
    private async Task RenewWhileWorkingAsync(long id, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(_jobs.Lease / 3, _time, cancellationToken).ConfigureAwait(false);
            if (!await _jobs.RenewAsync(id, cancellationToken).ConfigureAwait(false))
            {
                Log.LeaseLost(_logger, id);
                return;
            }
        }
    }

    private async Task<long?> StoreAsync(VoiceJob job, Transcript transcript, CancellationToken cancellationToken)
    {
        // A note from OpenClaw's inbound folder: its transcript entry says which agent received it
        // and whether the owner sent it. Someone else's words are external content. (The session
        // stays the voice notes' own: its entries are ordered by the transcript's positions, which
        // the note has none of.)
        var sender = job.Origin == "openclaw" ? await _engine.VoiceSenders.FindAsync(Path.GetFileName(job.Path), cancellationToken).ConfigureAwait(false) : null;
        var stranger = sender?.Owner == false;
        var agent = job.Agent ?? sender?.Agent ?? _options.DefaultAgent;
        var session = job.Session ?? "voice-notes";
        var entryId = $"voice-{job.Id}";
        var said = File.Exists(job.Path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(job.Path), TimeSpan.Zero) : job.CreatedAt;
        var provenance = new TurnProvenance(Speaker: stranger ? "voice note from another sender" : "voice note", Tool: null, Untrusted: stranger);
        var turn = new Turn(agent, session, entryId, null, "user", transcript.Text, said, job.Path, said.ToUnixTimeMilliseconds(), provenance);
        return await _engine.StoreTurnAsync($"voice#{agent}", "voice", turn, cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "{Count} voice jobs a stopped process was running are queued again")]
        public static partial void Requeued(ILogger logger, int count);

        [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "voice job {Id} transcribed ({Milliseconds} ms of audio, {Engine})")]
        public static partial void Done(ILogger logger, long id, long milliseconds, string engine);

        [LoggerMessage(EventId = 802, Level = LogLevel.Warning, Message = "voice job {Id} failed: {Reason}")]
        public static partial void Failed(ILogger logger, long id, string reason);

        [LoggerMessage(EventId = 803, Level = LogLevel.Error, Message = "a voice worker hit a store error; it waits and goes on")]
        public static partial void WorkerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 804, Level = LogLevel.Warning, Message = "voice job {Id}: this node's claim ran out and another node took the job over")]
        public static partial void LeaseLost(ILogger logger, long id);
    }
}
