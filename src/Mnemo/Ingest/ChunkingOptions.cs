namespace Mnemo.Ingest;

/// <summary>How turns become stored and embedded units.</summary>
public sealed record ChunkingOptions
{
    /// <summary>A turn longer than this many characters is split (MiniLM reads 256 word pieces, arctic-embed-xs 512).</summary>
    public int MaxChunkChars { get; init; } = 1000;

    /// <summary>Characters shared by consecutive pieces of a split turn.</summary>
    public int OverlapChars { get; init; } = 150;

    /// <summary>How much of the previous turn goes into the embedded text, so a reply is found by what it answers.</summary>
    public int ContextChars { get; init; } = 200;
}
