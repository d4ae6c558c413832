namespace Mnemo.Language;

/// <summary>
/// The chat model digests and three-pass prompting use (config section <c>Model</c>). No provider
/// is a normal state: digests are then extractive.
/// </summary>
public sealed record LanguageModelOptions
{
    /// <summary><c>none</c> (default), <c>openai</c> (any OpenAI-compatible server: OpenAI, Ollama, LM Studio, vLLM, llama.cpp) or <c>anthropic</c>.</summary>
    public string Provider { get; set; } = "none";

    /// <summary>Base URL: <c>http://127.0.0.1:11434/v1</c> for Ollama; empty for the provider's own service.</summary>
    public string? Endpoint { get; set; }

    public string? Model { get; set; }

    /// <summary>The API key; also read from <c>MNEMO_Model__ApiKey</c>. Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Time allowed for one attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Retries of a transient failure (connection, timeout, 429, 5xx), with exponential backoff.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>After this many consecutive failed calls the circuit opens and calls fail fast...</summary>
    public int CircuitBreakAfter { get; set; } = 5;

    /// <summary>...for this long.</summary>
    public TimeSpan CircuitBreakFor { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Most tokens one reply may have.</summary>
    public int MaxOutputTokens { get; set; } = 1024;

    public float Temperature { get; set; } = 0.2f;

    /// <summary>Price per million input tokens, for the cost recorded with each call (0: not priced).</summary>
    public decimal InputCostPerMillion { get; set; }

    public decimal OutputCostPerMillion { get; set; }

    public bool IsConfigured => !string.Equals(Provider, "none", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(Provider);

    /// <summary>Throws an error naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (!IsConfigured)
        {
            return;
        }

        if (Provider is not ("openai" or "anthropic"))
        {
            throw new ArgumentException($"Model:Provider: '{Provider}' is not a provider; use none, openai (any OpenAI-compatible server) or anthropic");
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            throw new ArgumentException($"Model:Model is required for the {Provider} provider (example: llama3.1:8b, gpt-4o-mini, claude-sonnet-4-5)");
        }

        if (Endpoint is { Length: > 0 } endpoint && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException($"Model:Endpoint: '{endpoint}' is not an http(s) URL (example: http://127.0.0.1:11434/v1)");
        }

        if (Timeout <= TimeSpan.Zero || MaxRetries is < 0 or > 10 || CircuitBreakAfter < 2 || MaxOutputTokens < 16)
        {
            throw new ArgumentException("Model: Timeout must be positive, MaxRetries 0 to 10, CircuitBreakAfter at least 2, MaxOutputTokens at least 16");
        }
    }
}
