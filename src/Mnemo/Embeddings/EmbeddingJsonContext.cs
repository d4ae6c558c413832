using System.Text.Json.Serialization;

namespace Mnemo.Embeddings;

/// <summary>Source-generated serialization of the OpenAI embeddings wire format.</summary>
[JsonSerializable(typeof(OpenAiEmbeddingGenerator.EmbeddingRequest))]
[JsonSerializable(typeof(OpenAiEmbeddingGenerator.EmbeddingResponse))]
internal sealed partial class EmbeddingJsonContext : JsonSerializerContext;
