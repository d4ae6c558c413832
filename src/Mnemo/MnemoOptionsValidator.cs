namespace Mnemo;

/// <summary>Checks <see cref="MnemoOptions"/> at start, with an error that names the setting.</summary>
public static class MnemoOptionsValidator
{
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public static void Validate(MnemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        void Check(bool ok, string setting, object? value, string rule)
        {
            if (!ok)
            {
                problems.Add($"{setting} = {value} {rule}");
            }
        }

        Check(!string.IsNullOrWhiteSpace(options.DataDirectory), "DataDirectory", "''", "must name a directory");
        Check(options.IngestBatchSize is >= 1 and <= 100_000, "IngestBatchSize", options.IngestBatchSize, "must be between 1 and 100000");

        var c = options.Chunking;
        Check(c.MaxChunkChars >= 100, "Chunking.MaxChunkChars", c.MaxChunkChars, "must be at least 100");
        Check(c.OverlapChars >= 0 && c.OverlapChars < c.MaxChunkChars / 2, "Chunking.OverlapChars", c.OverlapChars, "must be at least 0 and under half of Chunking.MaxChunkChars");
        Check(c.ContextChars >= 0, "Chunking.ContextChars", c.ContextChars, "must not be negative");

        var s = options.Search;
        Check(s.CandidatePool is >= 1 and <= 10_000, "Search.CandidatePool", s.CandidatePool, "must be between 1 and 10000");
        Check(s.TextWeight >= 0, "Search.TextWeight", s.TextWeight, "must not be negative");
        Check(s.VectorWeight >= 0, "Search.VectorWeight", s.VectorWeight, "must not be negative");
        Check(s.TextWeight + s.VectorWeight > 0, "Search.TextWeight + Search.VectorWeight", s.TextWeight + s.VectorWeight, "must be above 0");
        Check(s.NeighbourWeight is >= 0 and <= 1, "Search.NeighbourWeight", s.NeighbourWeight, "must be between 0 and 1");
        Check(s.NeighbourExpansion >= 0, "Search.NeighbourExpansion", s.NeighbourExpansion, "must not be negative");
        Check(s.QuestionWeight is > 0 and <= 1, "Search.QuestionWeight", s.QuestionWeight, "must be above 0 and at most 1");
        Check(s.MmrLambda is >= 0 and <= 1, "Search.MmrLambda", s.MmrLambda, "must be between 0 and 1");
        Check(s.RecencyWeight >= 0, "Search.RecencyWeight", s.RecencyWeight, "must not be negative");
        Check(s.RecencyHalfLife > TimeSpan.Zero, "Search.RecencyHalfLife", s.RecencyHalfLife, "must be positive");

        var i = options.Index;
        Check(i.HnswThreshold >= 0, "Index.HnswThreshold", i.HnswThreshold, "must not be negative");
        Check(i.Hnsw.Connectivity is >= 2 and <= 128, "Index.Hnsw.Connectivity", i.Hnsw.Connectivity, "must be between 2 and 128");
        Check(i.Hnsw.ExpansionAdd >= 1, "Index.Hnsw.ExpansionAdd", i.Hnsw.ExpansionAdd, "must be at least 1");
        Check(i.Hnsw.ExpansionSearch >= 1, "Index.Hnsw.ExpansionSearch", i.Hnsw.ExpansionSearch, "must be at least 1");

        var e = options.Embeddings;
        Check(e.Provider is "openai" or EmbeddingOptions.Auto || Embeddings.LocalEmbeddingModel.Find(e.Provider) is not null, "Embeddings.Provider", e.Provider, $"must be {EmbeddingOptions.ProviderNames}");
        Check(e.Provider != "openai" || e.BaseUrl is not null, "Embeddings.BaseUrl", "(none)", "is required for the openai provider");
        Check(e.Provider != "openai" || !string.IsNullOrWhiteSpace(e.Model), "Embeddings.Model", "(none)", "is required for the openai provider");
        Check(e.Dimensions > 0, "Embeddings.Dimensions", e.Dimensions, "must be positive");

        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid settings: " + string.Join("; ", problems));
        }
    }
}
