namespace Mnemo.Storage;

/// <summary>The change sequence derived data follows: the audit log's watermark and changes, and the vectors the index is built from.</summary>
public interface IMemoryChangeFeed : IMemoryVectors
{
    /// <summary>Every memory id with its vector, in id order: what the vector index is derived from.</summary>
    IAsyncEnumerable<(long Id, float[] Vector)> ReadVectorsAsync(CancellationToken cancellationToken);

    /// <summary>The store's version for derived data: the id of the latest audit event, and the memory count.</summary>
    Task<(long Watermark, long Count)> GetWatermarkAsync(CancellationToken cancellationToken);

    /// <summary>Audit events after a watermark, oldest first: how derived data catches up.</summary>
    Task<IReadOnlyList<(long EventId, string Action, long MemoryId)>> GetChangesSinceAsync(long watermark, CancellationToken cancellationToken);
}
