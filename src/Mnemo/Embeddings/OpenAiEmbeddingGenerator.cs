using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Mnemo.Embeddings;

/// <summary>
/// Any OpenAI-compatible <c>/v1/embeddings</c> endpoint (OpenAI, Ollama, LM Studio, vLLM,
/// llama.cpp server). Vectors are L2-normalized so they rank like the local model's.
/// </summary>
public sealed class OpenAiEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly HttpClient _http;
    private readonly string _model;
    private readonly bool _ownsClient;

    public OpenAiEmbeddingGenerator(Uri baseUrl, string model, string? apiKey, int dimensions, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        _ownsClient = http is null;
        _http = http ?? MnemoHttpClients.Standalone.CreateClient(MnemoHttpClients.Embeddings);
        _model = model;
        var root = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        Endpoint = new Uri(root, "embeddings");
        ApiKey = apiKey;
        Metadata = new EmbeddingGeneratorMetadata("openai-compatible", baseUrl, model, dimensions);
    }

    public EmbeddingGeneratorMetadata Metadata { get; }

    private Uri Endpoint { get; }

    private string? ApiKey { get; }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values.ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint)
        {
            Content = JsonContent.Create(new EmbeddingRequest(_model, inputs), EmbeddingJsonContext.Default.EmbeddingRequest),
        };
        if (!string.IsNullOrEmpty(ApiKey))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            // The body may echo input text: report the status only.
            throw new HttpRequestException($"embedding endpoint {Endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }

        var body = await response.Content.ReadFromJsonAsync(EmbeddingJsonContext.Default.EmbeddingResponse, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"embedding endpoint {Endpoint} answered with an empty body");
        if (body.Data is null || body.Data.Count != inputs.Length)
        {
            throw new InvalidDataException($"embedding endpoint {Endpoint} returned {body.Data?.Count ?? 0} vectors for {inputs.Length} inputs");
        }

        var vectors = new Embedding<float>[inputs.Length];
        foreach (var item in body.Data)
        {
            if (item.Index < 0 || item.Index >= inputs.Length || item.Embedding is null || item.Embedding.Length != Metadata.DefaultModelDimensions)
            {
                throw new InvalidDataException($"embedding endpoint {Endpoint} returned a vector with a bad index or {item.Embedding?.Length ?? 0} dimensions (expected {Metadata.DefaultModelDimensions})");
            }

            VectorMath.NormalizeInPlace(item.Embedding);
            vectors[item.Index] = new Embedding<float>(item.Embedding) { ModelId = _model };
        }

        return new GeneratedEmbeddings<Embedding<float>>(vectors);
    }

    /// <summary>Its metadata (the model's name and size, which the store records and the vector index is made for), or itself.</summary>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : serviceKey is null && serviceType?.IsInstanceOfType(this) == true ? this : null;

    public void Dispose()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }

    internal sealed record EmbeddingRequest([property: JsonPropertyName("model")] string Model, [property: JsonPropertyName("input")] string[] Input);

    internal sealed record EmbeddingResponse([property: JsonPropertyName("data")] List<EmbeddingItem>? Data);

    internal sealed record EmbeddingItem([property: JsonPropertyName("index")] int Index, [property: JsonPropertyName("embedding")] float[]? Embedding);
}
