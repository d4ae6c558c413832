using System.Text.Json.Serialization;

namespace Mnemo;

/// <summary>Source-generated JSON metadata for the types Mnemo persists or prints.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Dictionary<string, long>))]
[JsonSerializable(typeof(List<long>))]
[JsonSerializable(typeof(Domain.CompactionDetails))]
internal sealed partial class MnemoJsonContext : JsonSerializerContext;
