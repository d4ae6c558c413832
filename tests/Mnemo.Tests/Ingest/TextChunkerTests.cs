using CsCheck;
using Mnemo.Ingest;

namespace Mnemo.Tests.Ingest;

public sealed class TextChunkerTests
{
    private static readonly string[] Vocabulary = ["alpha", "beta.", "gamma", "delta!", "x", "\n", "epsilon?", "zeta", "ABC-123", "longerwordwithoutbreaks"];

    private static readonly Gen<string> Words = Gen.Int[0, Vocabulary.Length - 1].Select(i => Vocabulary[i])
        .Array[0, 600].Select(w => string.Join(' ', w));

    [Fact]
    public void Split_AnyText_PiecesAreBoundedAndCoverTheTextInOrder() =>
        Gen.Select(Words, Gen.Int[40, 400], Gen.Int[0, 19]).Sample((text, max, overlap) =>
        {
            var ranges = TextChunker.Ranges(text, max, overlap);
            var pieces = TextChunker.Split(text, max, overlap);

            Assert.Equal(ranges.Select(r => text[r]), pieces);
            Assert.All(pieces, p => Assert.True(p.Length <= max, $"piece of {p.Length} > {max}"));
            if (text.Length <= max)
            {
                Assert.Equal([text], pieces);
                return;
            }

            // Pieces move forward, each starts no later than the previous one ended (no gap), and
            // the last reaches the end: nothing is lost between them.
            var (previousStart, covered) = (-1, 0);
            foreach (var range in ranges)
            {
                var (start, length) = range.GetOffsetAndLength(text.Length);
                Assert.True(start > previousStart, "pieces must move forward");
                Assert.True(start <= covered, $"gap between {covered} and {start}");
                (previousStart, covered) = (start, start + length);
            }

            Assert.Equal(text.Length, covered);
        }, iter: 300, seed: "0000000000010");

    [Fact]
    public void Split_LongProse_BreaksAfterSentencesWithOverlap()
    {
        var text = string.Join(' ', Enumerable.Range(1, 40).Select(i => $"Sentence number {i} is here."));

        var pieces = TextChunker.Split(text, 200, 40);

        Assert.True(pieces.Count > 4);
        Assert.All(pieces.SkipLast(1), p => Assert.EndsWith(".", p, StringComparison.Ordinal));
        Assert.All(pieces.Zip(pieces.Skip(1)), p => Assert.Contains(p.Second.Split(' ')[0], p.First, StringComparison.Ordinal));
    }

    [Fact]
    public void Split_BadArguments_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TextChunker.Split("x", 8, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TextChunker.Split("x", 100, 60));
    }
}
