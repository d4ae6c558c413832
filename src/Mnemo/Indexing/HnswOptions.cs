namespace Mnemo.Indexing;

/// <summary>HNSW graph settings.</summary>
public sealed record HnswOptions
{
    /// <summary>Edges per node (M).</summary>
    public int Connectivity { get; init; } = 16;

    /// <summary>Candidate list size while building (efConstruction).</summary>
    public int ExpansionAdd { get; init; } = 128;

    /// <summary>Candidate list size while searching (ef).</summary>
    public int ExpansionSearch { get; init; } = 200;

    /// <summary>Store vectors as 16-bit floats: half the memory, recall barely changes.</summary>
    public bool HalfPrecision { get; init; } = true;
}
