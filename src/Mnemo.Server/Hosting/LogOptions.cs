using Microsoft.Extensions.Logging;

namespace Mnemo.Server.Hosting;

/// <summary>Where and how <c>mnemo serve</c> logs (config section <c>Log</c>).</summary>
public sealed class LogOptions
{
    /// <summary><c>Trace</c>, <c>Debug</c>, <c>Information</c>, <c>Warning</c>, <c>Error</c>; unset: Information (Debug with <c>--verbose</c>).</summary>
    public string? Level { get; set; }

    /// <summary><c>plain</c> (one readable line per event) or <c>json</c> (one JSON object per line), for the console and the files.</summary>
    public string Format { get; set; } = "plain";

    /// <summary>Also log to rolling files in <c>&lt;data&gt;/logs</c> (or <see cref="Directory"/>).</summary>
    public bool File { get; set; } = true;

    public string? Directory { get; set; }

    /// <summary>A file is closed and a new one started at this size.</summary>
    public long FileMaxBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>How many files are kept, the current one included.</summary>
    public int FilesKept { get; set; } = 5;

    public string ResolveDirectory(string dataDirectory) =>
        string.IsNullOrWhiteSpace(Directory) ? Path.Combine(dataDirectory, "logs") : Path.GetFullPath(Directory);

    /// <summary>The configured level, or <paramref name="fallback"/>.</summary>
    /// <exception cref="ArgumentException">The level is not one of .NET's.</exception>
    public LogLevel ResolveLevel(LogLevel fallback) =>
        Level is null ? fallback
        : Enum.TryParse<LogLevel>(Level, ignoreCase: true, out var level) && Enum.IsDefined(level) ? level
        : throw new ArgumentException($"Log:Level: '{Level}' is not a level; use Trace, Debug, Information, Warning, Error or Critical");

    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public void Validate()
    {
        ResolveLevel(LogLevel.Information);
        if (Format is not ("plain" or "json"))
        {
            throw new ArgumentException($"Log:Format: '{Format}' is not a format; use plain or json");
        }

        if (FileMaxBytes < 1024)
        {
            throw new ArgumentException($"Log:FileMaxBytes: {FileMaxBytes} is below 1024");
        }

        if (FilesKept < 1)
        {
            throw new ArgumentException($"Log:FilesKept: {FilesKept} must be at least 1");
        }
    }
}

/// <summary>Metrics and traces export (config section <c>Telemetry</c>); Prometheus at <c>/metrics</c> is always on.</summary>
public sealed class TelemetryOptions
{
    /// <summary>An OTLP collector (for example <c>http://127.0.0.1:4317</c>) to send traces and metrics to; none by default.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <exception cref="ArgumentException">The endpoint is not a URL.</exception>
    public void Validate()
    {
        if (OtlpEndpoint is { Length: > 0 } endpoint && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"Telemetry:OtlpEndpoint: '{endpoint}' is not a URL (example: http://127.0.0.1:4317)");
        }
    }
}
