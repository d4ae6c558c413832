using System.Globalization;
using System.Text.Json;

namespace Mnemo.Readers;

/// <summary>Tolerant accessors for loosely typed JSON from outside.</summary>
public static class JsonValues
{
    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    public static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    /// <summary>A whole number (a JSON integer, or a float with no fraction), else null.</summary>
    public static long? Number(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.Number } value
            ? value.TryGetInt64(out var whole) ? whole
            : value.TryGetDouble(out var real) && real is >= long.MinValue and <= long.MaxValue && Math.Floor(real) == real ? (long)real : null
            : null;

    /// <summary>Reads an ISO 8601 string or epoch milliseconds/seconds.</summary>
    public static DateTimeOffset? Timestamp(JsonElement element, string name)
    {
        if (Property(element, name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString();
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
        {
            // Epoch milliseconds are 13 digits for any date this software will see; seconds are 10.
            try
            {
                return number > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(number) : DateTimeOffset.FromUnixTimeSeconds(number);
            }
            catch (ArgumentOutOfRangeException)
            {
                return null;
            }
        }

        return null;
    }
}
