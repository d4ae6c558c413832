namespace Mnemo.Embeddings;

/// <summary>
/// The embedding model failed while a batch was being ingested (an endpoint down or answering an
/// error, a model that would not load). The batch was not written: nothing of it is half-stored,
/// and the same request works again once the model does.
/// </summary>
public sealed class EmbeddingFailedException : Exception
{
    public EmbeddingFailedException()
    {
    }

    public EmbeddingFailedException(string message)
        : base(message)
    {
    }

    public EmbeddingFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
