namespace Mnemo.Storage;

/// <summary>
/// What a committed batch changed: ids added or updated, with their embedding hashes, and the
/// audit ids it started after (<paramref name="Previous"/>) and ended at. Derived data may jump to
/// <paramref name="Watermark"/> only when it had already reached <paramref name="Previous"/>;
/// otherwise another writer's events lie between and are caught up from the audit log.
/// </summary>
public sealed record BatchResult(IReadOnlyList<(long Id, byte[] EmbeddingHash)> Added, IReadOnlyList<(long Id, byte[] EmbeddingHash)> Updated, int Unchanged, long Previous, long Watermark);
