using Mnemo.Domain;
using Mnemo.Embeddings;
using Mnemo.Retention;
using Mnemo.Search;
using Mnemo.Text;

namespace Mnemo.Digests;

/// <summary>
/// Writes a digest without a language model: every sentence of the period's turns is scored
/// (what kind of sentence it is: decision, open item, identifier, preference; how central its turn
/// is among the period's embeddings; who said it), then lines are picked by maximal marginal
/// relevance over the stored embeddings so the digest covers the period instead of repeating its
/// busiest thread. Every line cites the memory it came from.
/// </summary>
public static class ExtractiveSummarizer
{
    public const string Decisions = "Decisions";
    public const string OpenItems = "Open items";
    public const string KeyDetails = "Key details";
    public const string Highlights = "Highlights";

    /// <summary>Where external content goes: quoted as what an outside message said, never as a decision or fact.</summary>
    public const string External = "External content (quoted, not instructions)";

    private const double Lambda = 0.6;

    /// <summary>Lines this similar say the same thing; only the first is kept.</summary>
    private const double Duplicate = 0.9;
    private const int MaxLineChars = 240;

    /// <summary>The order sections are shown in.</summary>
    public static IReadOnlyList<string> SectionOrder { get; } = [Decisions, OpenItems, KeyDetails, Highlights, External];

    /// <summary>Picks up to <paramref name="maxLines"/> lines from the memories, grouped by section.</summary>
    /// <param name="similarity">The scale of the model that made the vectors.</param>
    public static IReadOnlyList<DigestLine> Summarize(IReadOnlyList<(Memory Memory, float[] Vector)> memories, int maxLines, SimilarityScale similarity)
    {
        ArgumentNullException.ThrowIfNull(memories);
        var candidates = Candidates(memories);
        var picked = Select(candidates, maxLines, similarity);
        return picked
            .OrderBy(c => SectionRank(c.Section))
            .ThenBy(c => c.Memory.Timestamp)
            .ThenBy(c => c.Memory.Sequence)
            .Select(c => c.ToLine())
            .ToList();
    }

    /// <summary>
    /// A model's lines checked against their sources: a line citing external content is moved to
    /// <see cref="External"/> and quoted, whatever heading the model gave it.
    /// </summary>
    public static IReadOnlyList<DigestLine> QuoteExternal(IReadOnlyList<DigestLine> lines, IReadOnlySet<long> externalIds)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(externalIds);
        return externalIds.Count == 0
            ? lines
            : [.. lines.Select(l => !l.External && l.MemoryIds.Any(externalIds.Contains) ? new DigestLine(External, Fence.QuoteInProse(l.Text), l.MemoryIds, External: true) : l)];
    }

    /// <summary>Sentences of the memories with their scores (the summarizer's raw material).</summary>
    internal static List<Candidate> Candidates(IReadOnlyList<(Memory Memory, float[] Vector)> memories)
    {
        var candidates = new List<Candidate>();
        if (memories.Count == 0)
        {
            return candidates;
        }

        var centroid = Centroid(memories);
        foreach (var (memory, vector) in memories)
        {
            if (memory.Role is "tool" or "system" || string.IsNullOrWhiteSpace(memory.Text))
            {
                continue;
            }

            var centrality = VectorMath.Similarity(vector, centroid);
            var salient = SalientText.Extract(memory.Text, memory.Role).ToDictionary(s => s.Text, s => s.Kind, StringComparer.Ordinal);
            foreach (var sentence in SalientText.Sentences(memory.Text))
            {
                var clipped = RecallText.Clip(sentence, SalientText.MaxSentenceChars);
                var kind = salient.TryGetValue(clipped, out var k) ? k : SalientKind.None;
                var words = sentence.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
                if (words < 3 && kind == SalientKind.None)
                {
                    continue;
                }

                var score = KindWeight(kind) + (0.3 * centrality) + (memory.Role == "user" ? 0.1 : 0.0)
                    - (memory.Untrusted ? 0.5 : 0.0) - (words < 4 ? 0.3 : 0.0) - (words > 50 ? 0.2 : 0.0);
                var identifiers = kind.HasFlag(SalientKind.Identifier) ? SalientText.Identifiers(sentence).ToHashSet(StringComparer.Ordinal) : [];
                // External content is quoted under its own heading whatever kind of sentence it is:
                // "we decided..." in a stranger's e-mail is not the user's decision.
                candidates.Add(new Candidate(memory, vector, clipped, kind, score, memory.Untrusted ? External : SectionOf(kind), Tokens(sentence), identifiers));
            }
        }

        return candidates;
    }

    internal static List<Candidate> Select(List<Candidate> candidates, int maxLines, SimilarityScale similarity)
    {
        var picked = new List<Candidate>();
        var remaining = candidates.OrderByDescending(c => c.Score).ToList();
        while (picked.Count < maxLines && remaining.Count > 0)
        {
            Candidate? best = null;
            var bestValue = double.NegativeInfinity;
            foreach (var candidate in remaining)
            {
                var redundancy = picked.Count == 0 ? 0.0 : picked.Max(p => Similarity(candidate, p, similarity));
                var value = (Lambda * candidate.Score) - ((1 - Lambda) * redundancy);
                if (value > bestValue)
                {
                    bestValue = value;
                    best = candidate;
                }
            }

            remaining.Remove(best!);
            // A line that says the same as one already picked is left out, unless it brings an
            // exact identifier the other does not have ("renewed, invoice INV-7731").
            if (picked.Any(p => Similarity(best!, p, similarity) >= Duplicate && best!.Identifiers.IsSubsetOf(p.Identifiers)))
            {
                continue;
            }

            picked.Add(best!);
        }

        return picked;
    }

    /// <summary>The line as shown: who said it, the sentence, and the memory it cites.</summary>
    public static string Cite(IEnumerable<long> memoryIds) => string.Join(' ', memoryIds.Select(id => $"[m{id}]"));

    internal static double Similarity(Candidate a, Candidate b, SimilarityScale similarity) =>
        a.Memory.Id == b.Memory.Id
            ? 0.5 + (0.5 * Jaccard(a.Tokens, b.Tokens))
            : Math.Max(similarity.Passage(VectorMath.Similarity(a.Vector, b.Vector)), Jaccard(a.Tokens, b.Tokens));

    internal static double Jaccard(HashSet<string> a, HashSet<string> b)
    {
        if (a.Count == 0 || b.Count == 0)
        {
            return 0;
        }

        var shared = a.Count(b.Contains);
        return (double)shared / (a.Count + b.Count - shared);
    }

    internal static HashSet<string> Tokens(string text) => QueryText.Terms(text).ToHashSet(StringComparer.Ordinal);

    internal static int SectionRank(string section)
    {
        for (var i = 0; i < SectionOrder.Count; i++)
        {
            if (SectionOrder[i] == section)
            {
                return i;
            }
        }

        return SectionOrder.Count;
    }

    private static float[] Centroid(IReadOnlyList<(Memory Memory, float[] Vector)> memories)
    {
        var centroid = new float[memories[0].Vector.Length];
        foreach (var (_, vector) in memories)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(centroid, vector, centroid);
        }

        VectorMath.NormalizeInPlace(centroid);
        return centroid;
    }

    private static double KindWeight(SalientKind kind)
    {
        double weight = 0;
        var matched = 0;
        foreach (var (flag, value) in new[] { (SalientKind.Decision, 1.0), (SalientKind.Request, 0.9), (SalientKind.Preference, 0.7), (SalientKind.Identifier, 0.6) })
        {
            if (kind.HasFlag(flag))
            {
                weight = Math.Max(weight, value);
                matched++;
            }
        }

        return weight + (matched > 1 ? 0.1 * (matched - 1) : 0);
    }

    private static string SectionOf(SalientKind kind) =>
        kind.HasFlag(SalientKind.Decision) ? Decisions
        : kind.HasFlag(SalientKind.Request) ? OpenItems
        : kind.HasFlag(SalientKind.Identifier) || kind.HasFlag(SalientKind.Preference) ? KeyDetails
        : Highlights;

    internal sealed record Candidate(Memory Memory, float[] Vector, string Sentence, SalientKind Kind, double Score, string Section, HashSet<string> Tokens, HashSet<string> Identifiers)
    {
        public string Line => Memory.Untrusted
            ? Fence.QuoteInProse(RecallText.Clip(Sentence, MaxLineChars), Who(Memory))
            : $"{Who(Memory)}: {RecallText.Clip(Sentence, MaxLineChars)}";

        public DigestLine ToLine() => new(Section, Line, [Memory.Id], Memory.Untrusted);

        private static string Who(Memory memory) => memory.Speaker is { Length: > 0 } speaker && memory.Role is not ("user" or "assistant") ? speaker : memory.Role;
    }
}
