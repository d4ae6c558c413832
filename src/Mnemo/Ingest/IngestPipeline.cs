using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Indexing;
using Mnemo.Readers;
using Mnemo.Storage;

namespace Mnemo.Ingest;

/// <summary>
/// Turns read items into stored memories: chunk, skip what is already stored unchanged, embed
/// only what the cache lacks, write each batch (rows, FTS, audit, cursor) in one transaction,
/// then update the vector index. Re-running on the same input adds nothing.
/// </summary>
internal sealed partial class IngestPipeline(
    IMemoryWriteStore store,
    VectorIndexManager index,
    CompactionStore compactions,
    SessionResetStore resets,
    VoiceSenderStore voiceSenders,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    string modelId,
    ChunkingOptions chunking,
    int batchSize,
    Text.Redactor redactor,
    TimeProvider time,
    ILogger logger)
{
    public const int MaxReportedIssues = 100;
    private const string Actor = "ingest";

    /// <summary>When the embedder last failed during ingest, and why (health reads it).</summary>
    public FailureRecord EmbeddingFailures { get; } = new(time);

    /// <summary>When writing a batch last failed for want of disk space, and why; cleared by the next batch written (health reads it).</summary>
    public FailureRecord StoreWriteFailures { get; } = new(time);

    public async Task<IngestSummary> IngestAsync(string source, string format, IAsyncEnumerable<ReadItem> items, IProgress<IngestProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var buffer = new List<Turn>(batchSize);
        var previous = new Dictionary<(string, string), string?>();
        var issues = new List<ReadIssue>();
        var newCompactions = new List<Compaction>();
        string? checkpoint = null;
        long turnsRead = 0, skipped = 0;
        var written = new BatchCounts(0, 0, 0, 0);
        await foreach (var item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            switch (item)
            {
                case TurnRead turn:
                    buffer.Add(turn.Turn);
                    turnsRead++;
                    break;
                case IssueRead issue:
                    skipped++;
                    if (issues.Count < MaxReportedIssues)
                    {
                        issues.Add(issue.Issue);
                    }

                    LogSkipped(logger, issue.Issue.Source, issue.Issue.Line, issue.Issue.Message);
                    break;
                case CompactionRead read:
                    // The entries before a compaction are stored first, so that its span can be placed.
                    if (buffer.Count > 0)
                    {
                        written += await FlushAsync(buffer, cursor: null, previous, cancellationToken).ConfigureAwait(false);
                    }

                    var (recorded, isNew) = await compactions.RecordAsync(read.Compaction, cancellationToken).ConfigureAwait(false);
                    if (isNew)
                    {
                        newCompactions.Add(recorded);
                        LogCompaction(logger, recorded.Event.Agent, recorded.Event.Session, recorded.Event.TokensBefore, recorded.FromSequence, recorded.ToSequence);
                    }

                    break;
                case ResetRead read:
                    await resets.RecordAsync(read.Reset, cancellationToken).ConfigureAwait(false);
                    break;
                case VoiceNoteRead read:
                    await voiceSenders.RecordAsync(read.Sender, cancellationToken).ConfigureAwait(false);
                    break;
                case CheckpointRead read:
                    checkpoint = read.Cursor;
                    if (buffer.Count >= batchSize)
                    {
                        written += await FlushAsync(buffer, new SourceCursor(source, format, checkpoint), previous, cancellationToken).ConfigureAwait(false);
                        progress?.Report(new IngestProgress(source, turnsRead, written.Added));
                    }

                    break;
            }
        }

        if (buffer.Count > 0 || checkpoint is not null)
        {
            written += await FlushAsync(buffer, checkpoint is null ? null : new SourceCursor(source, format, checkpoint), previous, cancellationToken).ConfigureAwait(false);
        }

        progress?.Report(new IngestProgress(source, turnsRead, written.Added));
        return new IngestSummary
        {
            Sources = 1,
            TurnsRead = turnsRead,
            Added = written.Added,
            Updated = written.Updated,
            Unchanged = written.Unchanged,
            Embedded = written.Embedded,
            Skipped = skipped,
            Issues = issues,
            Elapsed = clock.Elapsed,
            NewCompactions = newCompactions,
        };
    }

    /// <summary>Counts what was stored, and how far behind the live turns it is (turns older than an hour are a backfill, not lag).</summary>
    private void Measure(List<NewMemory> stored, int count)
    {
        if (count == 0)
        {
            return;
        }

        Telemetry.IngestedTurns.Add(count, new KeyValuePair<string, object?>("source", stored[0].Source.Split(':')[0]));
        var now = time.GetUtcNow();
        foreach (var memory in stored)
        {
            if (memory.Chunk == 0 && memory.Timestamp is { } at && now - at is { } lag && lag >= TimeSpan.Zero && lag < TimeSpan.FromHours(1))
            {
                Telemetry.IngestLag.Record(lag.TotalSeconds);
            }
        }
    }

    private async Task<BatchCounts> FlushAsync(List<Turn> turns, SourceCursor? cursor, Dictionary<(string, string), string?> previous, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity("mnemo.ingest.batch");
        activity?.SetTag("mnemo.turns", turns.Count);
        var drafts = new List<(NewMemory Memory, string EmbeddingText)>();
        foreach (var turn in turns)
        {
            var sessionKey = (turn.Agent, turn.Session);
            if (!previous.TryGetValue(sessionKey, out var before))
            {
                before = await store.GetPrecedingTextAsync(turn.Agent, turn.Session, turn.Sequence, cancellationToken).ConfigureAwait(false);
            }

            // Secrets (and personal data, when asked) never reach the store, the embedder or a digest.
            var text = redactor.Apply(turn.Text);
            var pieces = TextChunker.Split(text, chunking.MaxChunkChars, chunking.OverlapChars);
            for (var i = 0; i < pieces.Count; i++)
            {
                var embeddingText = EmbeddingText(chunking, turn, pieces[i], i == 0 ? before : pieces[i - 1]);
                var memory = new NewMemory(
                    Hashes.Of(turn.Agent, turn.Session, turn.EntryId, i.ToString(CultureInfo.InvariantCulture)),
                    turn.Agent, turn.Session, turn.EntryId, turn.ParentId, i, turn.Sequence, turn.Role,
                    turn.Provenance.Speaker, turn.Provenance.Tool, turn.Provenance.Untrusted, pieces[i], IndexContext(turn),
                    turn.Timestamp, turn.Source,
                    Hashes.Of(turn.Role, pieces[i], turn.Provenance.Untrusted ? "untrusted" : "trusted", turn.Provenance.Speaker),
                    Hashes.Of(modelId, embeddingText));
                drafts.Add((memory, embeddingText));
            }

            previous[sessionKey] = text;
        }

        turns.Clear();
        var existing = await store.FindExistingAsync(drafts.Select(d => d.Memory.Key).ToList(), cancellationToken).ConfigureAwait(false);
        var changed = drafts
            .Where(d => !existing.TryGetValue(Convert.ToHexString(d.Memory.Key), out var hash) || !hash.AsSpan().SequenceEqual(d.Memory.ContentHash))
            .ToList();
        var unchangedBefore = drafts.Count - changed.Count;

        var vectors = await store.GetEmbeddingsAsync(changed.Select(d => d.Memory.EmbeddingHash).ToList(), cancellationToken).ConfigureAwait(false);
        var missing = changed
            .Where(d => !vectors.ContainsKey(Convert.ToHexString(d.Memory.EmbeddingHash)))
            .DistinctBy(d => Convert.ToHexString(d.Memory.EmbeddingHash))
            .ToList();
        var fresh = new List<StoredEmbedding>(missing.Count);
        if (missing.Count > 0)
        {
            GeneratedEmbeddings<Embedding<float>> generated;
            try
            {
                generated = await embedder.GenerateAsync(missing.Select(d => d.EmbeddingText).ToList(), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Health reports it; the batch is not written, so nothing half-embedded is stored.
                EmbeddingFailures.Record(ex.Message);
                throw new EmbeddingFailedException($"the embedding model {modelId} failed ({ex.Message}); nothing of this batch was stored. It can be sent again once the model works", ex);
            }

            for (var i = 0; i < missing.Count; i++)
            {
                var vector = generated[i].Vector.ToArray();
                Embeddings.VectorMath.NormalizeInPlace(vector);
                fresh.Add(new StoredEmbedding(missing[i].Memory.EmbeddingHash, vector));
                vectors[Convert.ToHexString(missing[i].Memory.EmbeddingHash)] = vector;
            }
        }

        BatchResult result;
        try
        {
            result = await store.WriteBatchAsync(changed.Select(d => d.Memory).ToList(), fresh, modelId, cursor, Actor, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StoreFullException.IsOutOfSpace(ex))
        {
            // SQLite rolled the transaction back: the batch, its vectors and its cursor are all unwritten.
            StoreWriteFailures.Record(StoreFullException.Cause(ex));
            throw new StoreFullException(StoreFullException.Describe(ex), ex);
        }

        StoreWriteFailures.Clear();
        var upserts = result.Added.Concat(result.Updated)
            .Select(r => (r.Id, vectors[Convert.ToHexString(r.EmbeddingHash)]))
            .ToList();
        index.Apply(upserts, result.Previous, result.Watermark);
        Measure(changed.Select(d => d.Memory).ToList(), result.Added.Count + result.Updated.Count);
        return new BatchCounts(result.Added.Count, result.Updated.Count, unchangedBefore + result.Unchanged, missing.Count);
    }

    /// <summary>
    /// What gets embedded: the speaker and the words, preceded by the tail of what came just
    /// before, so that "yes, on Friday" is found by the question it answers.
    /// </summary>
    internal static string EmbeddingText(ChunkingOptions chunking, Turn turn, string piece, string? before)
    {
        var own = turn.Provenance.Speaker is { } speaker ? $"{speaker}: {piece}" : piece;
        if (chunking.ContextChars <= 0 || string.IsNullOrEmpty(before))
        {
            return own;
        }

        var context = before.Length <= chunking.ContextChars ? before : before[^chunking.ContextChars..];
        return $"{context}\n{own}";
    }

    private static string IndexContext(Turn turn) => NewMemory.DateWords(turn.Timestamp);

    /// <summary>What one batch wrote.</summary>
    private readonly record struct BatchCounts(long Added, long Updated, long Unchanged, long Embedded)
    {
        public static BatchCounts operator +(BatchCounts a, BatchCounts b) =>
            new(a.Added + b.Added, a.Updated + b.Updated, a.Unchanged + b.Unchanged, a.Embedded + b.Embedded);
    }

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Compaction recorded for {Agent}/{Session}: {TokensBefore} tokens before, entries {From}..{To} left the context")]
    private static partial void LogCompaction(ILogger logger, string agent, string session, long? tokensBefore, long? from, long? to);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Skipped unreadable input in {Source} at {Line}: {Problem}")]
    private static partial void LogSkipped(ILogger logger, string source, long? line, string problem);
}
