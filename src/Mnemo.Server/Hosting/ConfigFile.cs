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
            // A new file is the documented template, with its secrets filled in.
            Write(path, Template(NewToken(), NewToken()));
            return path;
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

    /// <summary>
    /// The config a new data directory gets: every section named with its main settings and defaults,
    /// commented out (the reader skips comments and allows trailing commas, so uncommenting a line is
    /// enough), and the generated secrets.
    /// </summary>
    internal static string Template(string token, string feedbackKey) => $$"""
        // Mnemo's configuration (JSON with comments). Every setting has a default: uncomment a line to
        // change it, then restart mnemo serve. An environment variable overrides a setting:
        // MNEMO_<Section>__<Key>, for example MNEMO_Server__Urls or MNEMO_Model__ApiKey.
        {
          // Where mnemo serve listens. Keep it on loopback unless a TLS reverse proxy is in front.
          "Server": { "Urls": "{{ServerOptions.DefaultUrls}}" },

          // Following OpenClaw's transcripts (default ~/.openclaw, or $MNEMO_OPENCLAW_DIR).
          // "OpenClaw": { "StateDirectory": "~/.openclaw", "Follow": true },

          // When the jobs run (cron, in this time zone; default the machine's). Jobs: hourly-summary,
          // daily-sync, weekly-synthesis, signals, compaction-sweep, voice-sweep, retention, backup.
          // "Schedule": { "TimeZone": "Europe/Lisbon", "Jobs": { "hourly-summary": { "Cron": "0 8-22 * * *", "Enabled": true } } },

          // The embedding model is set by environment: MNEMO_EMBEDDINGS_PROVIDER=auto (the store's own;
          // arctic-xs for a new store), arctic-xs, minilm (a new store only: a store keeps its model),
          // or openai with MNEMO_EMBEDDINGS_URL and MNEMO_EMBEDDINGS_MODEL.

          // A chat model for digests (provider openai for any OpenAI-compatible server, or anthropic).
          // "Model": { "Provider": "openai", "Endpoint": "http://127.0.0.1:11434/v1", "Model": "llama3.1", "ApiKey": "" },

          // What goes to the user: hourly, daily, weekly, signals, context.
          // "Digests": { "Deliver": [ "daily", "weekly", "signals" ] },

          // Where it goes: OpenClaw's webhook, and/or a Telegram bot of Mnemo's own (Mode polling, webhook or none).
          // "Delivery": { "OpenClaw": { "Token": "", "Channel": "telegram", "To": "" }, "Telegram": { "BotToken": "", "ChatId": 0, "Mode": "polling" } },

          // Who may rate with 👍/👎, and how long ratings are kept.
          // "Feedback": { "AllowedChats": [ ], "KeepDays": 30 },

          // Voice notes: the Whisper model, workers, how long audio is kept.
          // "Voice": { "ModelPath": "", "Workers": 2, "KeepAudioDays": 30 },

          // Backups (put them on another disk), health thresholds, logs, telemetry, redaction.
          // "Backup": { "Directory": "/mnt/backup/mnemo", "KeepDailyDays": 7, "KeepWeeklyWeeks": 4 },
          // "Health": { "MinFreeDiskMegabytes": 1024, "BackupMaxAgeHours": 26 },
          // "Log": { "Level": "Information", "Format": "plain", "FileMaxBytes": 10485760, "FilesKept": 5 },
          // "Telemetry": { "OtlpEndpoint": "http://127.0.0.1:4317" },
          // "Redaction": { "Secrets": true, "Pii": false },
          // "Keep": { "TurnsDays": 3650, "DigestsDays": 3650 },

          // The API token (Authorization: Bearer ...) and the key that signs Telegram buttons. Keep them secret.
          "Auth": {
            "Token": "{{token}}",
            "FeedbackKey": "{{feedbackKey}}"
          }
        }
        """;

    private static bool Has(JsonObject root, string name) =>
        root["Auth"] is JsonObject auth && auth[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0;

    private static string NewToken() =>
        System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

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
