namespace Mnemo;

/// <summary>Which embedding model turns text into vectors.</summary>
public sealed record EmbeddingOptions
{
    /// <summary>
    /// <c>auto</c> (default): the local model the store's vectors came from, and for a new store
    /// <c>arctic-xs</c>; a local model by name (<c>arctic-xs</c>, <c>minilm</c>); or <c>openai</c>
    /// (any OpenAI-compatible endpoint).
    /// </summary>
    public string Provider { get; init; } = Auto;

    /// <summary>The provider that keeps an existing store's model and gives a new one the default local model.</summary>
    public const string Auto = "auto";

    /// <summary>Base URL of the OpenAI-compatible API, e.g. <c>http://127.0.0.1:11434/v1</c>.</summary>
    public Uri? BaseUrl { get; init; }

    /// <summary>Model name at that endpoint.</summary>
    public string? Model { get; init; }

    /// <summary>API key for the endpoint, if it needs one. Never logged.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Vector size the endpoint's model returns.</summary>
    public int Dimensions { get; init; } = 384;

    /// <summary>
    /// Reads <c>MNEMO_EMBEDDINGS_PROVIDER</c>, <c>MNEMO_EMBEDDINGS_URL</c>, <c>MNEMO_EMBEDDINGS_MODEL</c>,
    /// <c>MNEMO_EMBEDDINGS_API_KEY</c> and <c>MNEMO_EMBEDDINGS_DIMENSIONS</c>; anything unset keeps its default.
    /// </summary>
    public static EmbeddingOptions FromEnvironment()
    {
        var options = new EmbeddingOptions();
        var provider = Environment.GetEnvironmentVariable("MNEMO_EMBEDDINGS_PROVIDER");
        if (string.IsNullOrWhiteSpace(provider))
        {
            return options;
        }

        if (provider == Auto)
        {
            return options;
        }

        if (Embeddings.LocalEmbeddingModel.Find(provider) is { } local)
        {
            return options with { Provider = local.Name };
        }

        if (provider != "openai")
        {
            throw new ArgumentException($"MNEMO_EMBEDDINGS_PROVIDER must be {ProviderNames}, not '{provider}'");
        }

        var url = Environment.GetEnvironmentVariable("MNEMO_EMBEDDINGS_URL");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl))
        {
            throw new ArgumentException("MNEMO_EMBEDDINGS_URL must be an absolute URL when MNEMO_EMBEDDINGS_PROVIDER is 'openai'");
        }

        var model = Environment.GetEnvironmentVariable("MNEMO_EMBEDDINGS_MODEL");
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new ArgumentException("MNEMO_EMBEDDINGS_MODEL must name the model when MNEMO_EMBEDDINGS_PROVIDER is 'openai'");
        }

        var dimensionsText = Environment.GetEnvironmentVariable("MNEMO_EMBEDDINGS_DIMENSIONS");
        var dimensions = 384;
        if (!string.IsNullOrWhiteSpace(dimensionsText) && (!int.TryParse(dimensionsText, System.Globalization.CultureInfo.InvariantCulture, out dimensions) || dimensions <= 0))
        {
            throw new ArgumentException($"MNEMO_EMBEDDINGS_DIMENSIONS must be a positive whole number, not '{dimensionsText}'");
        }

        return options with
        {
            Provider = provider,
            BaseUrl = baseUrl,
            Model = model,
            ApiKey = Environment.GetEnvironmentVariable("MNEMO_EMBEDDINGS_API_KEY"),
            Dimensions = dimensions,
        };
    }

    /// <summary>The accepted provider names, for error messages.</summary>
    public static string ProviderNames => "'auto', " + string.Join(", ", Embeddings.LocalEmbeddingModel.All.Select(m => $"'{m.Name}'")) + " or 'openai'";
}
