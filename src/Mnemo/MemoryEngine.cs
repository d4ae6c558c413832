using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Indexing;
using Mnemo.Ingest;
using Mnemo.Readers;
using Mnemo.Retention;
using Mnemo.Search;
using Mnemo.Storage;

namespace Mnemo;

/// <summary>
/// The memory: store, vector index, embedder, ingest and search behind one object. Open it once
/// per process; it is safe to search while an ingest runs.
/// </summary>
public sealed class MemoryEngine : IAsyncDisposable
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder;
    private readonly bool _ownsEmbedder;
    private readonly IngestPipeline _pipeline;
    private readonly IReadOnlyList<IForgetListener> _forgetListeners;
    private readonly TimeProvider _time;
    private int _disposed;

    private MemoryEngine(MnemoOptions options, IMemoryStore store, SqliteMemoryStore local, VectorIndexManager index, IEmbeddingGenerator<string, Embedding<float>> embedder, bool ownsEmbedder, string modelId, TimeProvider time, ILoggerFactory loggerFactory)
    {
        Options = options;
        Store = store;
        Local = local;
        Records = store as IRecordDatabase ?? local;
        Index = index;
        _embedder = embedder;
        _ownsEmbedder = ownsEmbedder;
        ModelId = modelId;
        Similarity = SimilarityScale.For(modelId);
        var redactor = new Text.Redactor(options.Redaction);
        Compactions = new CompactionStore(Records, time, redactor);
        Resets = new SessionResetStore(Records);
        VoiceSenders = new VoiceSenderStore(Records);
        _pipeline = new IngestPipeline(store, index, Compactions, Resets, VoiceSenders, embedder, modelId, options.Chunking, options.IngestBatchSize, redactor, time, loggerFactory.CreateLogger<IngestPipeline>());
        Searcher = new HybridSearcher(store, index, embedder, options.Search, time, Similarity);
        Feedback = new Feedback.FeedbackStore(Records);
        ContextNotices = new Feedback.ContextNoticeStore(Records);
        Pins = new PinStore(Records);
        SessionKeys = new SessionKeyStore(Records);
        Retention = new RetainedContextBuilder(store, Compactions, Searcher, embedder, options.Retention, loggerFactory.CreateLogger<RetainedContextBuilder>(), Feedback, Similarity, Pins, SessionKeys, Resets, time);
        Writer = new MemoryWriter(store, _pipeline, index, time, loggerFactory.CreateLogger<MemoryWriter>());
        Writer.Changed += Retention.Invalidate;
        _forgetListeners = [new Digests.DigestScrubber(new Digests.DigestStore(Records), Writer), new Signals.SignalStore(Records), ContextNotices, Pins];
        _time = time;
    }

    public MnemoOptions Options { get; }

    /// <summary>The memories: the embedded SQLite store, or a shared one (PostgreSQL) several nodes use.</summary>
    public IMemoryStore Store { get; }

    /// <summary>
    /// This node's own SQLite database in the data directory. With the embedded store it is
    /// <see cref="Store"/> and <see cref="Records"/>; with a shared store it holds nothing the
    /// nodes share.
    /// </summary>
    public SqliteMemoryStore Local { get; }

    /// <summary>
    /// Where compactions, digests, signals, feedback, job state, the voice queue and model calls
    /// are kept: the same database as <see cref="Store"/>, so every node of a shared store sees them.
    /// </summary>
    public IRecordDatabase Records { get; }

    /// <summary>True when <see cref="Store"/> is shared with other nodes (not the embedded SQLite).</summary>
    public bool IsShared => !ReferenceEquals(Store, Local);

    public VectorIndexManager Index { get; }

    /// <summary>The one writer of memories: every ingest and forget goes through it, and it keeps the index saved.</summary>
    public MemoryWriter Writer { get; }

    public HybridSearcher Searcher { get; }

    public CompactionStore Compactions { get; }

    /// <summary>Memories the user pinned: always in retained context.</summary>
    public PinStore Pins { get; }

    /// <summary>The session ids each host session key has had: a new one is a reset.</summary>
    public SessionKeyStore SessionKeys { get; }

    /// <summary>Resets that kept the session id: what came before the latest left the context.</summary>
    public SessionResetStore Resets { get; }

    /// <summary>Who sent each voice note OpenClaw received, from its transcripts.</summary>
    public VoiceSenderStore VoiceSenders { get; }

    /// <summary>The user's ratings; retained context leaves out what was rated down.</summary>
    public Feedback.FeedbackStore Feedback { get; }

    public RetainedContextBuilder Retention { get; }

    /// <summary>What was brought back after each compaction, for the user to see and rate (when <c>Digests:Deliver</c> lists <c>context</c>).</summary>
    public Feedback.ContextNoticeStore ContextNotices { get; }

    public string ModelId { get; }

    /// <summary>How this store's model's cosines map onto the scale similarity thresholds are set on.</summary>
    public SimilarityScale Similarity { get; }

    /// <summary>Embedding failures during ingest (health's data-quality check reads them).</summary>
    public Ingest.FailureRecord EmbeddingFailures => _pipeline.EmbeddingFailures;

    /// <summary>When writing ingested memories last failed for want of disk space (cleared by the next write that works).</summary>
    public Ingest.FailureRecord StoreWriteFailures => _pipeline.StoreWriteFailures;

    /// <summary>Opens the data directory (created 0700), the store and the vector index.</summary>
    /// <param name="embedder">A shared embedder (the caller keeps ownership); null creates the configured one.</param>
    /// <param name="sharedStore">
    /// A store shared with other nodes (the engine takes ownership); null keeps memories in the
    /// data directory's SQLite database.
    /// </param>
    /// <param name="plugins">The heavy parts the host ships: the bundled models' runtime (needed when the settings name one and no embedder is given) and the approximate index.</param>
    public static async Task<MemoryEngine> OpenAsync(
        MnemoOptions options,
        IEmbeddingGenerator<string, Embedding<float>>? embedder = null,
        TimeProvider? time = null,
        ILoggerFactory? loggerFactory = null,
        IMemoryStore? sharedStore = null,
        EnginePlugins? plugins = null,
        CancellationToken cancellationToken = default)
    {
        MnemoOptionsValidator.Validate(options);
        time ??= TimeProvider.System;
        loggerFactory ??= NullLoggerFactory.Instance;
        DataDirectory.Ensure(options.DataDirectory);
        DataDirectory.Tighten(options.DataDirectory, loggerFactory.CreateLogger(typeof(DataDirectory)));
        var owns = embedder is null;
        SqliteMemoryStore? local = null;
        IMemoryStore? store = sharedStore;
        try
        {
            local = await SqliteMemoryStore.OpenAsync(options.DatabasePath, time, cancellationToken).ConfigureAwait(false);
            store ??= local;
            if (embedder is null)
            {
                var embeddings = options.Embeddings;
                if (embeddings.Provider == EmbeddingOptions.Auto)
                {
                    // A store keeps the model its vectors came from; a new one gets the default.
                    var recorded = await store.GetEmbeddingModelAsync(cancellationToken).ConfigureAwait(false);
                    var model = LocalEmbeddingModel.All.FirstOrDefault(m => recorded?.StartsWith(m.ModelId + "|", StringComparison.Ordinal) == true) ?? LocalEmbeddingModel.Default;
                    embeddings = embeddings with { Provider = model.Name };
                }

                embedder = CreateEmbedder(embeddings, localModels: plugins?.LocalModels);
            }

            var metadata = embedder.GetService<EmbeddingGeneratorMetadata>();
            var modelId = metadata?.DefaultModelId ?? EmbeddingModelRecord.Unnamed;
            var dimensions = metadata?.DefaultModelDimensions ?? LocalEmbeddingModel.Dimensions;
            await store.EnsureEmbeddingModelAsync(modelId, dimensions, cancellationToken).ConfigureAwait(false);
            var index = await VectorIndexManager.OpenAsync(options.IndexDirectory, store, options.Index, dimensions, time, loggerFactory.CreateLogger<VectorIndexManager>(), plugins?.ApproximateIndex, cancellationToken).ConfigureAwait(false);
            return new MemoryEngine(options, store, local, index, embedder, owns, modelId, time, loggerFactory);
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            if (local is not null && !ReferenceEquals(local, store))
            {
                await local.DisposeAsync().ConfigureAwait(false);
            }

            if (owns)
            {
                embedder?.Dispose();
            }

            throw;
        }
    }

    /// <param name="httpClients">Where an endpoint's client comes from (the host's factory); null takes <see cref="MnemoHttpClients.Standalone"/>.</param>
    /// <param name="localModels">Runs the bundled models (Mnemo.Onnx's <c>OnnxEmbeddings.Create</c>); needed when the options name one.</param>
    public static IEmbeddingGenerator<string, Embedding<float>> CreateEmbedder(EmbeddingOptions options, IHttpClientFactory? httpClients = null, LocalEmbedderFactory? localModels = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider switch
        {
            EmbeddingOptions.Auto => CreateEmbedder(options with { Provider = LocalEmbeddingModel.Default.Name }, httpClients, localModels),
            _ when LocalEmbeddingModel.Find(options.Provider) is { } local => localModels is null
                ? throw new InvalidOperationException($"Embeddings:Provider '{local.Name}' is a bundled model, and this host did not plug in the runtime that runs them (Mnemo.Onnx: WithOnnxEmbeddings(), or pass OnnxEmbeddings.Create)")
                : localModels(local),
            "openai" => new OpenAiEmbeddingGenerator(
                options.BaseUrl ?? throw new ArgumentException("Embeddings.BaseUrl is required for the openai provider"),
                options.Model ?? throw new ArgumentException("Embeddings.Model is required for the openai provider"),
                options.ApiKey,
                options.Dimensions,
                (httpClients ?? MnemoHttpClients.Standalone).CreateClient(MnemoHttpClients.Embeddings)),
            _ => throw new ArgumentException($"unknown embedding provider '{options.Provider}'; use {string.Join(", ", LocalEmbeddingModel.All.Select(m => $"'{m.Name}'"))} or 'openai'"),
        };
    }

    /// <summary>Ingests every source found under the paths. Unreadable input is skipped and reported, never fatal.</summary>
    public async Task<IngestSummary> IngestAsync(IEnumerable<string> paths, string format = "auto", string? agent = null, IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var total = new IngestSummary();
        foreach (var path in paths)
        {
            IReadOnlyList<(string Path, string Format)> sources;
            try
            {
                sources = SourceDiscovery.Discover(path, format);
            }
            catch (FileNotFoundException ex)
            {
                total = total.Add(new IngestSummary { Skipped = 1, Issues = [new ReadIssue(path, null, ex.Message)] });
                continue;
            }

            foreach (var (sourcePath, sourceFormat) in sources)
            {
                total = total.Add(await IngestSourceAsync(sourcePath, sourceFormat, agent, progress, cancellationToken).ConfigureAwait(false));
            }
        }

        return total;
    }

    /// <summary>Reads one source from where its cursor stopped.</summary>
    public async Task<IngestSummary> IngestSourceAsync(string path, string format, string? agent, IProgress<IngestProgress>? progress, CancellationToken cancellationToken)
    {
        var reader = SourceDiscovery.CreateReader(format);
        var sourceKey = agent is null ? path : $"{path}#agent={agent}";
        try
        {
            return await Writer.IngestAsync(sourceKey, format, cursor => reader.ReadAsync(new ReadRequest(path, agent, cursor), cancellationToken), progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new IngestSummary { Sources = 1, Skipped = 1, Issues = [new ReadIssue(path, null, ex.Message)] };
        }
    }

    /// <summary>Ingests turns that are already in memory (benchmarks, datasets, the HTTP API).</summary>
    public Task<IngestSummary> IngestTurnsAsync(string sourceKey, string format, IEnumerable<Turn> turns, CancellationToken cancellationToken = default) =>
        Writer.IngestAsync(sourceKey, format, turns, cancellationToken);

    /// <summary>Stores one turn (a digest's searchable copy, a voice note, a remembered fact) and returns its memory's id.</summary>
    public Task<long> StoreTurnAsync(string sourceKey, string format, Turn turn, CancellationToken cancellationToken = default) =>
        Writer.StoreAsync(sourceKey, format, turn, cancellationToken);

    public Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default) =>
        Searcher.SearchAsync(request, cancellationToken);

    /// <summary>
    /// The memories a forget would remove: those with the given ids, or those matching every filter
    /// given (agent, session, time range), or the best matches of a search query within the filters
    /// that contain one of its words.
    /// At most <see cref="ForgetSelection.Limit"/>; nothing when no criterion is given.
    /// </summary>
    /// <exception cref="ArgumentException">No criterion, or a bad one.</exception>
    public async Task<IReadOnlyList<Memory>> SelectForForgetAsync(ForgetSelection selection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selection);
        if (selection.Limit is < 1 or > ForgetSelection.MaxLimit)
        {
            throw new ArgumentException($"limit must be between 1 and {ForgetSelection.MaxLimit}");
        }

        if (selection.Ids is { Count: > 0 } ids)
        {
            return await Store.GetMemoriesAsync([.. ids.Distinct().Take(selection.Limit)], cancellationToken).ConfigureAwait(false);
        }

        var filter = new MemoryFilter(selection.Agent, selection.Session, Since: selection.Since, Until: selection.Until);
        if (!string.IsNullOrWhiteSpace(selection.Query))
        {
            // Search always returns its nearest neighbours, related or not: only hits that share a
            // word with the query are offered for deletion.
            var words = QueryText.Terms(selection.Query).ToHashSet(StringComparer.Ordinal);
            var hits = await SearchAsync(new SearchRequest(selection.Query, selection.Limit, filter), cancellationToken).ConfigureAwait(false);
            return [.. hits.Select(h => h.Memory).Where(m => QueryText.Terms(m.Text).Any(words.Contains))];
        }

        if (selection.Agent is null && selection.Session is null && selection.Since is null && selection.Until is null)
        {
            throw new ArgumentException("say what to forget: ids, an agent, a session, a time range or a search query");
        }

        return await Store.FindAsync(filter, selection.Limit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes memories for good (text, FTS entry, vector) and records who did it; what Mnemo wrote
    /// from them (digest lines, signals, context notices, pins) goes too: each
    /// <see cref="IForgetListener"/> is told.
    /// </summary>
    public Task<IReadOnlyList<long>> ForgetAsync(IReadOnlyCollection<long> ids, string actor, CancellationToken cancellationToken = default) =>
        ForgetAsync(ids, actor, scrubDerived: true, cancellationToken);

    /// <param name="scrubDerived">
    /// False when old turns leave by their keep period: the digests written from them are the
    /// summary meant to outlive them (they have a keep period of their own), so no listener is told.
    /// </param>
    public async Task<IReadOnlyList<long>> ForgetAsync(IReadOnlyCollection<long> ids, string actor, bool scrubDerived, CancellationToken cancellationToken)
    {
        var removed = await Writer.ForgetAsync(ids, actor, cancellationToken).ConfigureAwait(false);
        if (scrubDerived && removed.Count > 0)
        {
            foreach (var listener in _forgetListeners)
            {
                await listener.OnForgottenAsync(removed, cancellationToken).ConfigureAwait(false);
            }
        }

        return removed;
    }

    /// <summary>The memories with these ids (missing ids are left out).</summary>
    public Task<IReadOnlyList<Memory>> GetMemoriesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) =>
        Store.GetMemoriesAsync(ids, cancellationToken);

    /// <summary>
    /// Stores a fact the agent was told to keep, as a memory of its own (session <c>remembered</c>),
    /// searchable at once. The same text for the same agent is stored once.
    /// </summary>
    public async Task<Memory> RememberAsync(string agent, string text, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agent);
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var trimmed = text.Trim();
        var entryId = "fact-" + Convert.ToHexString(Hashes.Of(agent, trimmed))[..16].ToLowerInvariant();
        var now = _time.GetUtcNow();
        var turn = new Turn(agent, RememberedSession, entryId, null, "note", trimmed, now, actor, now.ToUnixTimeMilliseconds(), TurnProvenance.Default);
        var id = await StoreTurnAsync($"remembered#{agent}", "remember", turn, cancellationToken).ConfigureAwait(false);
        return (await Store.GetMemoriesAsync([id], cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>Session id of the facts stored with <see cref="RememberAsync"/>.</summary>
    public const string RememberedSession = "remembered";

    /// <summary>Records a compaction the bridge plugin reported and prepares its retained context.</summary>
    public async Task<Compaction> RecordCompactionAsync(CompactionEvent compaction, CancellationToken cancellationToken = default)
    {
        var (recorded, _) = await Compactions.RecordAsync(compaction, cancellationToken).ConfigureAwait(false);
        await Retention.PrepareAsync(recorded, cancellationToken).ConfigureAwait(false);
        return recorded;
    }

    /// <summary>Embeds a short text (health checks); returns the vector's dimensions.</summary>
    public async Task<int> ProbeEmbedderAsync(CancellationToken cancellationToken)
    {
        var embeddings = await _embedder.GenerateAsync(["health check"], cancellationToken: cancellationToken).ConfigureAwait(false);
        return embeddings[0].Vector.Length;
    }

    /// <summary>The context for an agent's next turn; the first one after a compaction is noted for the user when they asked for such notices.</summary>
    public async Task<RetainedContext> BuildContextAsync(RetainedContextRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var context = await Retention.BuildAsync(request, cancellationToken).ConfigureAwait(false);
        if (context.CompactionId is not null && Options.Digests.DeliveredKinds.Contains("context", StringComparer.OrdinalIgnoreCase))
        {
            await ContextNotices.RecordAsync(request.Agent, request.Session, context, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        return context;
    }

    public Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken = default) => Store.GetStatsAsync(cancellationToken);

    /// <summary>
    /// Brings the vector index up to the store's latest change (what other nodes wrote to a shared
    /// store). Serialized with this node's own writes. Returns how many changes were applied.
    /// </summary>
    public Task<int> CatchUpAsync(CancellationToken cancellationToken = default) => Writer.CatchUpAsync(cancellationToken);

    /// <summary>Saves what is unsaved and closes the store; a second call does nothing (a command and its container may both close it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await Writer.DisposeAsync().ConfigureAwait(false);
        Index.Dispose();
        await Store.DisposeAsync().ConfigureAwait(false);
        if (IsShared)
        {
            await Local.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsEmbedder)
        {
            _embedder.Dispose();
        }
    }
}
