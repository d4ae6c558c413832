namespace Mnemo.Embeddings;

/// <summary>
/// Puts a model's cosine similarities on one common scale, so that the thresholds of retained
/// context, signals and digests ("relevant", "the same topic", "a repeat") mean the same whatever
/// model made the vectors. The common scale is all-MiniLM-L6-v2's, which those thresholds were set
/// on. Other models spread their cosines differently (arctic-embed-xs gives unrelated passages
/// about 0.80 where MiniLM gives 0.25), so each maps its own values by matching quantiles measured
/// on the same pairs of texts, piecewise linearly between them.
/// </summary>
/// <param name="QueryKnots">Cosine of a query (embedded as a query) to a passage, and its value on the common scale, ascending.</param>
/// <param name="PassageKnots">Cosine of two passages, and its value on the common scale, ascending.</param>
public sealed record SimilarityScale(IReadOnlyList<(double Model, double Common)> QueryKnots, IReadOnlyList<(double Model, double Common)> PassageKnots)
{
    /// <summary>The common scale itself: values pass unchanged.</summary>
    public static SimilarityScale Identity { get; } = new([], []);

    /// <summary>A query's similarity to a passage, on the common scale.</summary>
    public double Query(double cosine) => Map(QueryKnots, cosine);

    /// <summary>Two passages' similarity, on the common scale.</summary>
    public double Passage(double cosine) => Map(PassageKnots, cosine);

    /// <summary>The scale of the model with this id; the common scale for models not known here.</summary>
    public static SimilarityScale For(string modelId) =>
        LocalEmbeddingModel.All.FirstOrDefault(m => m.ModelId == modelId)?.Similarity ?? Identity;

    private static double Map(IReadOnlyList<(double Model, double Common)> knots, double cosine)
    {
        if (knots.Count < 2)
        {
            return cosine;
        }

        var i = 1;
        while (i < knots.Count - 1 && cosine > knots[i].Model)
        {
            i++;
        }

        // Between two knots, or beyond the ends along the nearest segment.
        var (x0, y0) = knots[i - 1];
        var (x1, y1) = knots[i];
        return Math.Clamp(y0 + ((cosine - x0) * (y1 - y0) / (x1 - x0)), -1, 1);
    }
}
