namespace Mnemo.Storage;

/// <summary>The stored vectors of memories, which both search and the change feed read.</summary>
public interface IMemoryVectors
{
    /// <summary>The vectors of these memories (missing ids are left out).</summary>
    Task<Dictionary<long, float[]>> GetVectorsAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken);
}
