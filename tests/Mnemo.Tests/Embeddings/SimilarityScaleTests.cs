using Mnemo.Embeddings;

namespace Mnemo.Tests.Embeddings;

public sealed class SimilarityScaleTests
{
    [Theory]
    [InlineData(-0.3)]
    [InlineData(0.25)]
    [InlineData(0.97)]
    public void Identity_LeavesValuesAlone(double cosine)
    {
        Assert.Equal(cosine, SimilarityScale.Identity.Query(cosine));
        Assert.Equal(cosine, SimilarityScale.For(LocalEmbeddingModel.MiniLm.ModelId).Passage(cosine));
        Assert.Equal(cosine, SimilarityScale.For("some/hosted-model").Passage(cosine));
    }

    [Fact]
    public void ArcticXs_MapsItsHighCosinesOntoTheCommonScale()
    {
        var scale = SimilarityScale.For(LocalEmbeddingModel.ArcticXs.ModelId);

        // Two unrelated passages (median 0.805 for arctic) read as MiniLM's median (0.249).
        Assert.InRange(scale.Passage(0.805), 0.24, 0.26);
        Assert.InRange(scale.Query(0.645), 0.42, 0.45);
        Assert.Equal(1.0, scale.Passage(1.0), 6);
        Assert.Equal(-1.0, scale.Passage(-0.5));
    }

    [Fact]
    public void ArcticXs_KeepsTheOrderOfSimilarities()
    {
        var scale = SimilarityScale.For(LocalEmbeddingModel.ArcticXs.ModelId);
        var cosines = Enumerable.Range(0, 201).Select(i => -1 + (i / 100.0)).ToList();

        Assert.Equal(cosines.Select(scale.Passage).Order(), cosines.Select(scale.Passage));
        Assert.Equal(cosines.Select(scale.Query).Order(), cosines.Select(scale.Query));
    }
}
