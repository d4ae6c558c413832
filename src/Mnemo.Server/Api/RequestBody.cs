using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Mnemo.Server.Api;

/// <summary>
/// Reads a JSON request body with answers that say what is wrong: 415 for a body that is not
/// JSON, 413 when it is over the size limit, 400 naming the field for malformed or mistyped input.
/// </summary>
internal static class RequestBody
{
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return (default, Error(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "send the body as JSON with 'Content-Type: application/json'"));
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, type, cancellationToken).ConfigureAwait(false);
            if (value is JsonElement element && InvalidText(element) is { } path)
            {
                return (default, Invalid($"the text at {path} is not valid UTF-8"));
            }

            return value is null
                ? (default, Invalid("the body must be a JSON object, not null"))
                : (value, null);
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } path ? path[2..] : null;
            var what = ex.Path is { Length: > 0 } ? $"malformed or mistyped JSON at {ex.Path}" : "malformed JSON";
            return (default, Invalid($"{what}: {FirstSentence(ex.Message)}", field));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (default, Error(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "the body is larger than Server:MaxRequestBytes allows"));
        }
    }

    /// <summary>
    /// Where a raw JSON element holds a string or name that is not valid UTF-8, or null. Typed
    /// bodies are checked as they are deserialized; a <see cref="JsonElement"/> only when a string
    /// is read, which would otherwise fail deep inside the handler.
    /// </summary>
    private static string? InvalidText(JsonElement element, string path = "$")
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return null;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        if (InvalidText(property.Value, $"{path}.{property.Name}") is { } inner)
                        {
                            return inner;
                        }
                    }

                    return null;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        if (InvalidText(item, $"{path}[{index++}]") is { } inner)
                        {
                            return inner;
                        }
                    }

                    return null;
                default:
                    return null;
            }
        }
        catch (InvalidOperationException)
        {
            return path;
        }
    }

    public static IResult Invalid(string detail, string? field = null) =>
        Error(StatusCodes.Status400BadRequest, "invalid_request", detail, field);

    public static IResult Error(int status, string error, string detail, string? field = null) =>
        TypedResults.Json(new ErrorJson(error, detail, field), ApiJsonContext.Default.ErrorJson, statusCode: status);

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
