using CsCheck;
using Mnemo.Embeddings;
using Mnemo.Indexing;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Indexing;

public sealed class VectorIndexTests
{
    private const int Dims = 16;

    private static readonly Gen<float[]> UnitVector = Gen.Float[-1f, 1f].Array[Dims]
        .Where(v => v.Any(x => Math.Abs(x) > 1e-3f))
        .Select(v =>
        {
            VectorMath.NormalizeInPlace(v);
            return v;
        });

    [Fact]
    public void NormalizeInPlace_AnyNonZeroVector_HasUnitLength() =>
        Gen.Float[-1000f, 1000f].Array[1, 64].Where(v => v.Any(x => Math.Abs(x) > 1e-2f)).Sample(v =>
        {
            VectorMath.NormalizeInPlace(v);
            var norm = Math.Sqrt(v.Sum(x => (double)x * x));
            Assert.InRange(norm, 0.9999, 1.0001);
        }, seed: "0000000000001");

    [Fact]
    public void ExactSearch_AnyVectors_MatchesANaiveSortOfDotProducts() =>
        Gen.Select(UnitVector.Array[1, 300], UnitVector, Gen.Int[1, 20]).Sample((vectors, query, k) =>
        {
            using var index = new ExactVectorIndex(Dims);
            for (var i = 0; i < vectors.Length; i++)
            {
                index.Upsert(i + 1, vectors[i]);
            }

            var expected = vectors.Select((v, i) => (Id: i + 1L, Score: VectorMath.Similarity(query, v)))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Id).Take(k).Select(x => x.Id).ToList();
            var actual = index.Search(query, k).Select(m => m.Id).ToList();
            Assert.Equal(expected, actual);
        }, iter: 200, seed: "0000000000002");

    [Fact]
    public void ExactIndex_RemoveAndUpsert_KeepsEveryOtherVectorFindable() =>
        Gen.Select(UnitVector.Array[2, 100], Gen.Int[0, 1000]).Sample((vectors, removeSeed) =>
        {
            using var index = new ExactVectorIndex(Dims);
            for (var i = 0; i < vectors.Length; i++)
            {
                index.Upsert(i, vectors[i]);
            }

            var removed = removeSeed % vectors.Length;
            Assert.True(index.Remove(removed));
            Assert.False(index.Remove(removed));
            Assert.Equal(vectors.Length - 1, index.Count);
            for (var i = 0; i < vectors.Length; i++)
            {
                if (i != removed)
                {
                    Assert.Equal(i, index.Search(vectors[i], 1)[0].Id);
                }
            }
        }, iter: 100, seed: "0000000000003");

    [Fact]
    public void ExactIndex_SaveAndLoad_RoundTripsAndRejectsDamage()
    {
        using var dir = new TempDirectory();
        using var index = new ExactVectorIndex(Dims);
        var random = new Random(4);
        var vectors = Enumerable.Range(0, 50).Select(_ => RandomUnit(random, Dims)).ToArray();
        for (var i = 0; i < vectors.Length; i++)
        {
            index.Upsert(i * 7, vectors[i]);
        }

        var path = dir.File("v.exact");
        index.Save(path);
        using var loaded = ExactVectorIndex.Load(path, Dims);

        Assert.Equal(index.Count, loaded.Count);
        Assert.Equal(index.Search(vectors[3], 5), loaded.Search(vectors[3], 5));
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^4]);
        Assert.Throws<InvalidDataException>(() => ExactVectorIndex.Load(path, Dims));
        Assert.Throws<InvalidDataException>(() => ExactVectorIndex.Load(path, Dims + 1));
    }

    [Fact]
    public void Hnsw_ClusteredVectors_RecallAgainstExactIsHighAndSurvivesSaveLoad()
    {
        using var dir = new TempDirectory();
        var random = new Random(7);
        var centres = Enumerable.Range(0, 40).Select(_ => RandomUnit(random, 64)).ToArray();
        var items = Enumerable.Range(0, 4000).Select(i => ((long)i, Jitter(centres[i % centres.Length], random))).ToList();
        using var exact = new ExactVectorIndex(64);
        exact.UpsertMany(items);
        using var hnsw = HnswVectorIndex.Create(new HnswOptions(), 64);
        hnsw.UpsertMany(items);
        var path = dir.File("v.hnsw");
        hnsw.Save(path);
        using var loaded = HnswVectorIndex.Load(path, new HnswOptions(), 64);

        double found = 0;
        const int Queries = 100;
        for (var q = 0; q < Queries; q++)
        {
            var query = Jitter(centres[q % centres.Length], random);
            var truth = exact.Search(query, 10).Select(m => m.Id).ToHashSet();
            found += loaded.Search(query, 10).Count(m => truth.Contains(m.Id)) / 10.0;
        }

        Assert.Equal(4000, loaded.Count);
        Assert.True(found / Queries >= 0.9, $"HNSW recall@10 {found / Queries:F3}");
        Assert.True(loaded.Remove(5));
        Assert.False(loaded.Contains(5));
        Assert.All(loaded.Search(items[6].Item2, 5, id => id % 2 == 0), m => Assert.Equal(0, m.Id % 2));
    }

    [Fact]
    public void HnswLoad_GarbageFile_IsRejectedAsInvalidData()
    {
        using var dir = new TempDirectory();
        var path = dir.File("v.hnsw");
        File.WriteAllBytes(path, new byte[300]);

        Assert.ThrowsAny<Exception>(() => HnswVectorIndex.Load(path, new HnswOptions(), 64));
    }

    private static float[] RandomUnit(Random random, int dims)
    {
        var v = Enumerable.Range(0, dims).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        VectorMath.NormalizeInPlace(v);
        return v;
    }

    private static float[] Jitter(float[] centre, Random random)
    {
        var v = centre.Select(x => x + (float)((random.NextDouble() - 0.5) * 0.3)).ToArray();
        VectorMath.NormalizeInPlace(v);
        return v;
    }
}
