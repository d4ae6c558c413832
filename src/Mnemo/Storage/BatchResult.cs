namespace Mnemo.Storage;

/// <summary>What a committed batch changed: ids added or updated, with their embedding hashes, and the audit id it ended at.</summary>
internal sealed record BatchResult(IReadOnlyList<(long Id, byte[] EmbeddingHash)> Added, IReadOnlyList<(long Id, byte[] EmbeddingHash)> Updated, int Unchanged, long Watermark);
