namespace Mnemo.Indexing;

/// <summary>Written beside a saved index: what it holds and how to tell that it is intact and current.</summary>
internal sealed record IndexManifest(int FormatVersion, string Kind, int Dimensions, long Count, long Watermark, long Bytes, string Checksum);
