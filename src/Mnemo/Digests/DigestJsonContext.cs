using System.Text.Json.Serialization;

namespace Mnemo.Digests;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IReadOnlyList<DigestLine>))]
[JsonSerializable(typeof(IReadOnlyList<long>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class DigestJsonContext : JsonSerializerContext;
