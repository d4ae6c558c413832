using System.Text.Json.Serialization;

namespace Mnemo.Indexing;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IndexManifest))]
internal sealed partial class IndexJsonContext : JsonSerializerContext;
