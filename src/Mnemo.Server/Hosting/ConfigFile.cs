using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnemo.Server.Hosting;

/// <summary>
/// <c>config.json</c> in the data directory. It holds the API token, so it is created 0600 and
/// kept so; a missing token is generated on first start and written atomically.
/// </summary>
public static class ConfigFile
{
    public const string FileName = "config.json";

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>Makes sure the config file exists and has the API token and the key that signs feedback buttons; returns its path.</summary>
    public static string EnsureToken(string dataDirectory)
    {
        var path = PathIn(dataDirectory);
        JsonObject root;
        if (File.Exists(path))
        {
            try
            {
                root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                    ?? throw new ArgumentException($"{path}: the top level must be a JSON object");
            }
            catch (JsonException ex)
            {
                throw new ArgumentException($"{path} is not valid JSON: {ex.Message}", ex);
            }

            RestrictPermissions(path);
            if (Has(root, "Token") && Has(root, "FeedbackKey"))
            {
                return path;
            }
        }
        else
        {
            root = new JsonObject
            {
                ["Server"] = new JsonObject { ["Urls"] = ServerOptions.DefaultUrls },
            };
        }

        if (root["Auth"] is not JsonObject authSection)
        {
            authSection = new JsonObject();
            root["Auth"] = authSection;
        }

        if (!Has(root, "Token"))
        {
            authSection["Token"] = NewToken();
        }

        if (!Has(root, "FeedbackKey"))
        {
            authSection["FeedbackKey"] = NewToken();
        }

        Write(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    private static bool Has(JsonObject root, string name) =>
        root["Auth"] is JsonObject auth && auth[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0;

    private static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void Write(string path, string json)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(json);
            writer.Write('\n');
        }

        File.Move(temp, path, overwrite: true);
        RestrictPermissions(path);
    }

    private static void RestrictPermissions(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
