namespace Mnemo.Language;

/// <summary>
/// A chat model provider's failure, as its SDK reported it, translated at the provider's boundary
/// so that the core need not know the SDK: <see cref="Status"/> is the HTTP status the provider
/// answered, or null when no answer came (a lost connection, a reset), which is worth another try.
/// </summary>
public sealed class ModelProviderException : Exception
{
    public ModelProviderException()
    {
    }

    public ModelProviderException(string message)
        : base(message)
    {
    }

    public ModelProviderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ModelProviderException(string message, int? status, Exception innerException)
        : base(message, innerException) => Status = status;

    /// <summary>The provider's HTTP status; null when the request got no answer.</summary>
    public int? Status { get; }
}
