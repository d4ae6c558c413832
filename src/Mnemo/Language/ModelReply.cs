namespace Mnemo.Language;

/// <summary>What one model call returned.</summary>
public sealed record ModelReply(string Text, long? InputTokens, long? OutputTokens, TimeSpan Latency, string? ModelId);

/// <summary>A model call failed for good (after retries, or the circuit is open). The message names the provider, never the key.</summary>
public sealed class LanguageModelException : Exception
{
    public LanguageModelException()
    {
    }

    public LanguageModelException(string message)
        : base(message)
    {
    }

    public LanguageModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
