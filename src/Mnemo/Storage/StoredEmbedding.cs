namespace Mnemo.Storage;

/// <summary>An embedding keyed by the hash of model id and embedded text.</summary>
public sealed record StoredEmbedding(byte[] Hash, float[] Vector);
