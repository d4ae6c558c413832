using Microsoft.Extensions.AI;
using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Indexing;
using Mnemo.Storage;

namespace Mnemo.Search;

/// <summary>
/// Hybrid ranking: vector and BM25 candidates, each normalized to [0, 1] within the query and
/// fused by weight (plain reciprocal-rank fusion measured worse than BM25 alone on LoCoMo);
/// then a turn takes a share of its neighbours' scores, because in a conversation the answer sits
/// next to the turn that matches the question; then optional recency (a tie-breaker only) and MMR.
/// </summary>
public sealed class HybridSearcher(
    IMemorySearchStore store,
    VectorIndexManager index,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    SearchOptions options,
    TimeProvider time,
    SimilarityScale? similarity = null)
{
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.K);
        using var activity = Telemetry.Source.StartActivity("mnemo.search");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // The local model embeds synchronously: on a thread of its own, the full-text part runs beside it.
        var query = Task.Run(() => EmbedQueryAsync(embedder, request.Query, cancellationToken), cancellationToken);
        var hits = await SearchAsync(request, query, cancellationToken).ConfigureAwait(false);
        Telemetry.SearchDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        activity?.SetTag("mnemo.k", request.K);
        activity?.SetTag("mnemo.hits", hits.Count);
        return hits;
    }

    /// <summary>The query's vector, normalized, as every search and retained context compares it.</summary>
    public static async Task<float[]> EmbedQueryAsync(IEmbeddingGenerator<string, Embedding<float>> embedder, string query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        using var step = Telemetry.Source.StartActivity("mnemo.embed.query");
        var embedding = await embedder.GenerateAsync([query], EmbeddingInput.Query, cancellationToken).ConfigureAwait(false);
        var vector = embedding[0].Vector.ToArray();
        VectorMath.NormalizeInPlace(vector);
        return vector;
    }

    /// <summary>Search with a query vector already computed (benchmarks time this part alone).</summary>
    public Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, float[] queryVector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queryVector);
        return SearchAsync(request, Task.FromResult(queryVector), cancellationToken);
    }

    /// <summary>
    /// Search while the query vector may still be computing: the full-text candidates need only the
    /// words, so they are read meanwhile (on a thread of their own: SQLite reads synchronously).
    /// </summary>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, Task<float[]> pendingQueryVector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Query);
        ArgumentNullException.ThrowIfNull(pendingQueryVector);
        var filter = request.Filter ?? MemoryFilter.None;
        var pool = Math.Max(options.CandidatePool, request.K);
        var terms = QueryText.Terms(request.Query);

        // The memories a filter allows, read once: full-text and vector candidates and neighbours all need them.
        var allowed = await AllowedAsync(filter, cancellationToken).ConfigureAwait(false);
        var textTask = Task.Run(
            async () =>
            {
                using var step = Telemetry.Source.StartActivity("mnemo.search.text");
                return allowed is null
                    ? await store.SearchTextAsync(terms, filter, pool, cancellationToken).ConfigureAwait(false)
                    : await store.SearchTextAsync(terms, filter, allowed, pool, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

        var vectorTask = VectorSideAsync();
        await Task.WhenAll(textTask, vectorTask).ConfigureAwait(false);
        var (queryVector, vectorHits) = await vectorTask.ConfigureAwait(false);
        var textHits = await textTask.ConfigureAwait(false);
        using var ranking = Telemetry.Source.StartActivity("mnemo.search.rank");

        async Task<(float[] Query, IReadOnlyList<VectorMatch> Hits)> VectorSideAsync()
        {
            var vector = await pendingQueryVector.ConfigureAwait(false);
            using var step = Telemetry.Source.StartActivity("mnemo.search.vector");
            return (vector, await VectorCandidatesAsync(vector, allowed, pool, cancellationToken).ConfigureAwait(false));
        }

        var candidates = new Dictionary<long, Candidate>();
        var maxText = textHits.Count > 0 ? textHits.Max(t => t.Score) : 0;
        foreach (var (id, score) in textHits)
        {
            Get(candidates, id).Text = score;
            Get(candidates, id).TextNorm = maxText > 0 ? score / maxText : 0;
        }

        var (minSim, maxSim) = vectorHits.Count > 0 ? (vectorHits.Min(v => v.Similarity), vectorHits.Max(v => v.Similarity)) : (0f, 0f);
        double VectorNorm(float similarity) => maxSim > minSim ? Math.Clamp((similarity - minSim) / (maxSim - minSim), 0, 1) : (vectorHits.Count > 0 ? 1 : 0);
        foreach (var hit in vectorHits)
        {
            var candidate = Get(candidates, hit.Id);
            candidate.Vector = hit.Similarity;
            candidate.VectorNorm = VectorNorm(hit.Similarity);
        }

        if (options.TimeWeight > 0)
        {
            await AddTimeWindowsAsync(request, filter, terms, queryVector, candidates, maxText, VectorNorm, cancellationToken).ConfigureAwait(false);
        }

        foreach (var candidate in candidates.Values)
        {
            candidate.Base = (options.TextWeight * candidate.TextNorm) + (options.VectorWeight * candidate.VectorNorm) + candidate.Time;
        }

        if (options.NeighbourWeight > 0 && candidates.Count > 0)
        {
            await PropagateToNeighboursAsync(candidates, queryVector, allowed, VectorNorm, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            foreach (var candidate in candidates.Values)
            {
                candidate.Fused = candidate.Base;
            }
        }

        if (options.FeedbackWeight > 0 && candidates.Count > 0)
        {
            await AddFeedbackAsync(candidates, queryVector, allowed, pool, VectorNorm, cancellationToken).ConfigureAwait(false);
        }

        var ranked = candidates.Values.OrderByDescending(c => c.Fused).ThenBy(c => c.Id).Take(Math.Max(request.K * 3, 50)).ToList();
        var memories = (await store.GetMemoriesAsync(ranked.Select(c => c.Id).ToList(), cancellationToken).ConfigureAwait(false)).ToDictionary(m => m.Id);
        ranked.RemoveAll(c => !memories.ContainsKey(c.Id));
        // What a memory is, against what the query asks: a stored question holds no answer; a
        // question naming someone who speaks here is most likely about what they said; a question
        // about when is answered by something that says when.
        var named = options.SpeakerWeight != 1 ? NamedSpeakers(terms, ranked.Select(c => memories[c.Id].Speaker)) : [];
        var asksWhen = options.WhenWeight != 1 && AnswerText.AsksWhen(request.Query);
        foreach (var candidate in ranked)
        {
            var memory = memories[candidate.Id];
            var weight = IsQuestion(memory.Text) ? options.QuestionWeight : 1;
            weight *= memory.Speaker is { } speaker && named.Contains(speaker) ? options.SpeakerWeight : 1;
            weight *= asksWhen && AnswerText.SaysWhen(memory.Text) ? options.WhenWeight : 1;
            candidate.Weight = weight;
            candidate.Fused *= weight;
        }

        ranked = [.. ranked.OrderByDescending(c => c.Fused).ThenBy(c => c.Id)];
        if (options.SessionSpread > 0)
        {
            ranked = SpreadOverSessions(ranked, memories);
        }

        if (request.Recency)
        {
            var now = time.GetUtcNow();
            foreach (var candidate in ranked)
            {
                if (memories[candidate.Id].Timestamp is { } ts)
                {
                    var age = Math.Max(0, (now - ts).TotalDays);
                    candidate.Recency = options.RecencyWeight * Math.Pow(0.5, age / options.RecencyHalfLife.TotalDays);
                    candidate.Fused += candidate.Recency;
                }
            }

            ranked = [.. ranked.OrderByDescending(c => c.Fused).ThenBy(c => c.Id)];
        }

        if (request.Diversify)
        {
            ranked = await DiversifyAsync(ranked, request.K, cancellationToken).ConfigureAwait(false);
        }

        return ranked.Take(request.K)
            .Select(c => new SearchHit(
                memories[c.Id],
                c.Fused,
                new ScoreExplanation(c.Vector, c.Text, c.Neighbour, c.Weight, c.Recency, c.Fused, c.Time),
                QueryText.Snippet(memories[c.Id].Text, terms)))
            .ToList();
    }

    /// <summary>
    /// The ids a filter allows, kept while the vector index reflects the same state of the store
    /// (its watermark moves with every write and forget): an agent filter reads tens of thousands
    /// of ids, and retained context asks for the same agent before every turn. Callers only read the set.
    /// </summary>
    private async Task<HashSet<long>?> AllowedAsync(MemoryFilter filter, CancellationToken cancellationToken)
    {
        if (filter.IsEmpty)
        {
            return null;
        }

        var (watermark, current) = (index.Watermark, index.Index);
        if (_allowed.TryGetValue(filter, out var cached) && cached.Watermark == watermark && ReferenceEquals(cached.Index, current))
        {
            return cached.Ids;
        }

        var ids = await store.FilterIdsAsync(filter, null, cancellationToken).ConfigureAwait(false);
        if (_allowed.Count >= MaxCachedFilters)
        {
            _allowed.Clear();
        }

        _allowed[filter] = (watermark, current, ids);
        return ids;
    }

    private const int MaxCachedFilters = 16;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<MemoryFilter, (long Watermark, IVectorIndex Index, HashSet<long> Ids)> _allowed = new();

    /// <summary>
    /// Memories stored within a span of time the query names get the time bonus; those of a small
    /// span also become candidates (scored on their own vector and words). A span holding too many
    /// memories says too little and is ignored.
    /// </summary>
    private async Task AddTimeWindowsAsync(SearchRequest request, MemoryFilter filter, IReadOnlyList<string> terms, float[] queryVector, Dictionary<long, Candidate> candidates, double maxText, Func<float, double> vectorNorm, CancellationToken cancellationToken)
    {
        var windows = QueryTime.Windows(request.Query, request.At ?? time.GetUtcNow());
        if (windows.Count == 0)
        {
            return;
        }

        var inWindow = new HashSet<long>();
        foreach (var window in windows)
        {
            var within = filter with
            {
                Since = filter.Since is { } since && since > window.Start ? since : window.Start,
                Until = filter.Until is { } until && until < window.End ? until : window.End,
            };
            var ids = await store.FilterIdsAsync(within, options.TimeWindowLimit + 1, cancellationToken).ConfigureAwait(false);
            if (ids.Count == 0 || ids.Count > options.TimeWindowLimit)
            {
                continue;
            }

            inWindow.UnionWith(ids);
            if (ids.Count > options.TimeWindowScored)
            {
                // A larger span only lends its bonus to the candidates already found: scoring
                // hundreds more memories would cost more than the whole search.
                continue;
            }

            var unscored = ids.Where(id => !candidates.TryGetValue(id, out var c) || c.Vector is null).ToList();
            foreach (var (id, vector) in await store.GetVectorsAsync(unscored, cancellationToken).ConfigureAwait(false))
            {
                var candidate = Get(candidates, id);
                candidate.Vector = VectorMath.Similarity(queryVector, vector);
                candidate.VectorNorm = vectorNorm(candidate.Vector.Value);
            }

            foreach (var (id, score) in await store.SearchTextAsync(terms, within, options.CandidatePool, cancellationToken).ConfigureAwait(false))
            {
                var candidate = Get(candidates, id);
                if (candidate.Text is null)
                {
                    candidate.Text = score;
                    candidate.TextNorm = maxText > 0 ? Math.Min(1, score / maxText) : 0;
                }
            }
        }

        foreach (var id in inWindow)
        {
            if (candidates.TryGetValue(id, out var candidate))
            {
                candidate.Time = options.TimeWeight;
            }
        }
    }

    /// <summary>
    /// Pseudo-relevance feedback: the best hits so far describe what is sought better than the
    /// question's few words; memories close to them (often the same subject in other sessions)
    /// gain a share of the score.
    /// </summary>
    private async Task AddFeedbackAsync(Dictionary<long, Candidate> candidates, float[] queryVector, HashSet<long>? allowed, int pool, Func<float, double> vectorNorm, CancellationToken cancellationToken)
    {
        var top = candidates.Values.OrderByDescending(c => c.Fused).ThenBy(c => c.Id).Take(options.FeedbackDepth).Select(c => c.Id).ToList();
        var vectors = await store.GetVectorsAsync(top, cancellationToken).ConfigureAwait(false);
        if (vectors.Count == 0)
        {
            return;
        }

        var centroid = new float[queryVector.Length];
        foreach (var vector in vectors.Values)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(centroid, vector, centroid);
        }

        VectorMath.NormalizeInPlace(centroid);
        var hits = await VectorCandidatesAsync(centroid, allowed, pool, cancellationToken).ConfigureAwait(false);
        if (hits.Count == 0)
        {
            return;
        }

        var fresh = hits.Where(h => !candidates.ContainsKey(h.Id)).Select(h => h.Id).ToList();
        foreach (var (id, vector) in await store.GetVectorsAsync(fresh, cancellationToken).ConfigureAwait(false))
        {
            var candidate = Get(candidates, id);
            candidate.Vector = VectorMath.Similarity(queryVector, vector);
            candidate.VectorNorm = vectorNorm(candidate.Vector.Value);
            candidate.Base = options.VectorWeight * candidate.VectorNorm;
            candidate.Fused = candidate.Base;
        }

        var (min, max) = (hits.Min(h => h.Similarity), hits.Max(h => h.Similarity));
        foreach (var hit in hits)
        {
            if (candidates.TryGetValue(hit.Id, out var candidate))
            {
                candidate.Fused += options.FeedbackWeight * (max > min ? (hit.Similarity - min) / (max - min) : 1);
            }
        }
    }

    /// <summary>The most candidates asked of the index for a filtered search.</summary>
    private const int MaxOversampledCandidates = 4000;

    /// <summary>Up to this many memories passing a filter are scored exactly when the index finds too few.</summary>
    private const int ExactFallbackLimit = 5000;

    private async Task<IReadOnlyList<VectorMatch>> VectorCandidatesAsync(float[] query, HashSet<long>? allowed, int pool, CancellationToken cancellationToken)
    {
        if (allowed is null)
        {
            return index.Index.Search(query, pool);
        }

        if (allowed.Count == 0)
        {
            return [];
        }

        var hits = index.Index.Search(query, pool, allowed.Contains);
        if (hits.Count >= Math.Min(pool, allowed.Count))
        {
            return hits;
        }

        // The approximate index stops exploring before it finds enough of a filter's memories when
        // they are a small share of the store. Ask it for more candidates, in proportion to how
        // selective the filter is, and keep the allowed ones.
        var total = Math.Max(1, index.Index.Count);
        var oversample = (int)Math.Min(Math.Min(total, MaxOversampledCandidates), (long)pool * Math.Max(2, (2 * total / allowed.Count) + 1));
        if (oversample > pool)
        {
            var wider = index.Index.Search(query, oversample).Where(h => allowed.Contains(h.Id)).Take(pool).ToList();
            if (wider.Count >= Math.Min(pool, allowed.Count) || allowed.Count > ExactFallbackLimit)
            {
                return wider.Count >= hits.Count ? wider : hits;
            }
        }

        // Few memories pass the filter: score them all exactly.
        var vectors = await store.GetVectorsAsync(allowed, cancellationToken).ConfigureAwait(false);
        return vectors.Select(v => new VectorMatch(v.Key, VectorMath.Similarity(query, v.Value)))
            .OrderByDescending(v => v.Similarity).ThenBy(v => v.Id).Take(pool).ToList();
    }

    private async Task PropagateToNeighboursAsync(Dictionary<long, Candidate> candidates, float[] query, HashSet<long>? allowed, Func<float, double> vectorNorm, CancellationToken cancellationToken)
    {
        var neighbours = await store.GetNeighboursAsync(candidates.Keys.ToList(), cancellationToken).ConfigureAwait(false);

        // Neighbours of the strongest candidates become candidates too, scored on their own vector.
        var strongest = candidates.Values.OrderByDescending(c => c.Base).Take(options.NeighbourExpansion).ToList();
        var newIds = new HashSet<long>();
        foreach (var candidate in strongest)
        {
            if (neighbours.TryGetValue(candidate.Id, out var n))
            {
                foreach (var id in new[] { n.Previous, n.Next })
                {
                    if (id is { } value && !candidates.ContainsKey(value))
                    {
                        newIds.Add(value);
                    }
                }
            }
        }

        if (newIds.Count > 0)
        {
            if (allowed is not null)
            {
                newIds.IntersectWith(allowed);
            }

            var vectors = await store.GetVectorsAsync(newIds, cancellationToken).ConfigureAwait(false);
            foreach (var (id, vector) in vectors)
            {
                var candidate = Get(candidates, id);
                candidate.Vector = VectorMath.Similarity(query, vector);
                candidate.VectorNorm = vectorNorm(candidate.Vector.Value);
                candidate.Base = (options.VectorWeight * candidate.VectorNorm) + candidate.Time;
            }

            foreach (var (id, pair) in await store.GetNeighboursAsync(vectors.Keys.ToList(), cancellationToken).ConfigureAwait(false))
            {
                neighbours[id] = pair;
            }
        }

        foreach (var candidate in candidates.Values)
        {
            var best = 0.0;
            if (neighbours.TryGetValue(candidate.Id, out var n))
            {
                if (n.Previous is { } p && candidates.TryGetValue(p, out var prev))
                {
                    best = Math.Max(best, prev.Base);
                }

                if (n.Next is { } x && candidates.TryGetValue(x, out var next))
                {
                    best = Math.Max(best, next.Base);
                }
            }

            candidate.Neighbour = options.NeighbourWeight * best;
            candidate.Fused = candidate.Base + candidate.Neighbour;
        }
    }

    /// <summary>
    /// Each further hit from a session already represented counts a little less, so that what was
    /// said about the same thing in other sessions reaches the first page too.
    /// </summary>
    private List<Candidate> SpreadOverSessions(List<Candidate> ranked, Dictionary<long, Memory> memories)
    {
        var seen = new Dictionary<(string Agent, string Session), int>();
        var adjusted = new List<(Candidate Candidate, double Score)>(ranked.Count);
        foreach (var candidate in ranked)
        {
            var memory = memories[candidate.Id];
            var key = (memory.Agent, memory.Session);
            var before = seen.GetValueOrDefault(key);
            seen[key] = before + 1;
            adjusted.Add((candidate, candidate.Fused * Math.Pow(1 - options.SessionSpread, before)));
        }

        return [.. adjusted.OrderByDescending(a => a.Score).ThenBy(a => a.Candidate.Id).Select(a => a.Candidate)];
    }

    /// <summary>Cosine similarity above which two memories count as the same thing said twice.</summary>
    private const double NearDuplicate = 0.97;

    /// <summary>Maximal marginal relevance over the memories' own vectors, near-copies dropped.</summary>
    private async Task<List<Candidate>> DiversifyAsync(List<Candidate> ranked, int k, CancellationToken cancellationToken)
    {
        var vectors = await store.GetVectorsAsync(ranked.Select(c => c.Id).ToList(), cancellationToken).ConfigureAwait(false);
        var chosen = new List<Candidate>(k);
        var remaining = ranked.Where(c => vectors.ContainsKey(c.Id)).ToList();
        var top = remaining.Count > 0 ? remaining.Max(c => c.Fused) : 1;
        while (chosen.Count < k && remaining.Count > 0)
        {
            var scored = remaining
                .Select(c => (Candidate: c, Redundancy: chosen.Count == 0 ? 0 : chosen.Max(s => Scale.Passage(VectorMath.Similarity(vectors[c.Id], vectors[s.Id])))))
                .ToList();

            // A near-copy of something already chosen adds nothing: it goes, whatever its relevance.
            remaining.RemoveAll(c => scored.Any(x => x.Candidate == c && x.Redundancy >= NearDuplicate));
            var best = scored
                .Where(x => x.Redundancy < NearDuplicate)
                .Select(x => (x.Candidate, Value: (options.MmrLambda * (x.Candidate.Fused / top)) - ((1 - options.MmrLambda) * x.Redundancy)))
                .OrderByDescending(x => x.Value).ThenBy(x => x.Candidate.Id).FirstOrDefault();
            if (best.Candidate is null)
            {
                break;
            }

            chosen.Add(best.Candidate);
            remaining.Remove(best.Candidate);
        }

        return chosen;
    }

    /// <summary>The speakers among <paramref name="speakers"/> whose name is one of the query's terms.</summary>
    private static HashSet<string> NamedSpeakers(IReadOnlyList<string> terms, IEnumerable<string?> speakers)
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var speaker in speakers)
        {
            if (!string.IsNullOrWhiteSpace(speaker) && terms.Contains(speaker.ToLowerInvariant(), StringComparer.Ordinal))
            {
                named.Add(speaker);
            }
        }

        return named;
    }

    private SimilarityScale Scale => similarity ?? SimilarityScale.Identity;

    private static bool IsQuestion(string text) => text.AsSpan().TrimEnd().EndsWith("?", StringComparison.Ordinal);

    private static Candidate Get(Dictionary<long, Candidate> candidates, long id)
    {
        if (!candidates.TryGetValue(id, out var candidate))
        {
            candidate = new Candidate(id);
            candidates[id] = candidate;
        }

        return candidate;
    }

    private sealed class Candidate(long id)
    {
        public long Id { get; } = id;

        public double? Text { get; set; }

        public double TextNorm { get; set; }

        public float? Vector { get; set; }

        public double VectorNorm { get; set; }

        public double Base { get; set; }

        public double Neighbour { get; set; }

        public double Weight { get; set; } = 1;

        public double Recency { get; set; }

        public double Time { get; set; }

        public double Fused { get; set; }
    }
}
