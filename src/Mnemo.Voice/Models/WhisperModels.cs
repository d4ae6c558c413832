using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Mnemo.Voice.Models;

/// <summary>A ggml Whisper model Mnemo knows how to fetch.</summary>
/// <param name="Name">tiny, base.en, small, ...</param>
/// <param name="ApproximateMegabytes">The size to expect, for the listing.</param>
public sealed record WhisperModelInfo(string Name, int ApproximateMegabytes, bool Installed, string Path);

/// <summary>
/// <c>mnemo voice models list|pull</c>: ggml models downloaded into the data directory's
/// <c>models/</c> from whisper.cpp's model repository (or <c>Voice:ModelSource</c>). A download
/// resumes where a previous one stopped (HTTP range requests into <c>.partial</c>), is checked
/// against the SHA-256 the server states (Hugging Face sends it as the LFS ETag), must start with
/// ggml's magic number, and only then replaces the model file, atomically.
/// </summary>
public sealed partial class WhisperModels(HttpClient http, string dataDirectory, string source, ILogger logger)
{
    /// <summary>whisper.cpp's published models (name, approximate size in MB).</summary>
    public static IReadOnlyList<(string Name, int Megabytes)> Catalog { get; } =
    [
        ("tiny", 75), ("tiny.en", 75), ("base", 142), ("base.en", 142), ("small", 466), ("small.en", 466),
        ("medium", 1500), ("medium.en", 1500), ("large-v1", 2900), ("large-v2", 2900), ("large-v3", 2900), ("large-v3-turbo", 1600),
    ];

    public const string DefaultSource = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

    public string Directory => System.IO.Path.Combine(dataDirectory, "models");

    public IReadOnlyList<WhisperModelInfo> List() =>
        [.. Catalog.Select(m => new WhisperModelInfo(m.Name, m.Megabytes, File.Exists(PathOf(m.Name)), PathOf(m.Name)))];

    public string PathOf(string name) => System.IO.Path.Combine(Directory, $"ggml-{name}.bin");

    /// <summary>Downloads a model (resuming a partial download); returns its path.</summary>
    /// <exception cref="ArgumentException">Not a model name Mnemo knows.</exception>
    /// <exception cref="InvalidDataException">The download does not match the stated checksum, or is not a ggml model.</exception>
    /// <exception cref="HttpRequestException">The source refused or could not be reached.</exception>
    public async Task<string> PullAsync(string name, IProgress<(long Done, long? Total)>? progress, CancellationToken cancellationToken)
    {
        if (!Catalog.Any(m => m.Name == name))
        {
            throw new ArgumentException($"'{name}' is not a Whisper model Mnemo knows; known: {string.Join(", ", Catalog.Select(m => m.Name))}");
        }

        System.IO.Directory.CreateDirectory(Directory);
        var target = PathOf(name);
        var partial = target + ".partial";
        var url = new Uri($"{source.TrimEnd('/')}/ggml-{name}.bin");
        var offset = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (offset > 0)
        {
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(offset, null);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The partial file is already whole (or longer than the model): start again.
            File.Delete(partial);
            return await PullAsync(name, progress, cancellationToken).ConfigureAwait(false);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }

        var resumed = response.StatusCode == System.Net.HttpStatusCode.PartialContent;
        if (!resumed)
        {
            offset = 0;
        }

        var expected = StatedSha256(response);
        var total = response.Content.Headers.ContentLength is { } length ? length + offset : (long?)null;
        Log.Downloading(logger, name, url, offset);
        await using (var file = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None))
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
        {
            var buffer = new byte[1 << 20];
            var done = offset;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                done += read;
                progress?.Report((done, total));
            }

            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        string actual;
        await using (var check = File.OpenRead(partial))
        {
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(check, cancellationToken).ConfigureAwait(false));
        }

        if (expected is not null && !string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(partial);
            throw new InvalidDataException($"the download of {name} has SHA-256 {actual}, but {url} states {expected}; the partial file was removed, run the pull again");
        }

        if (!Transcription.WhisperTranscriber.HasGgmlMagic(partial))
        {
            File.Delete(partial);
            throw new InvalidDataException($"what {url} sent is not a ggml model; check Voice:ModelSource");
        }

        File.Move(partial, target, overwrite: true);
        Log.Pulled(logger, name, target, expected is null ? "no checksum was stated" : "SHA-256 verified");
        return target;
    }

    /// <summary>The SHA-256 the server states: Hugging Face's <c>X-Linked-ETag</c> (LFS object id), or a 64-hex <c>ETag</c>.</summary>
    private static string? StatedSha256(HttpResponseMessage response)
    {
        foreach (var header in new[] { "X-Linked-ETag", "ETag" })
        {
            if (response.Headers.TryGetValues(header, out var values) && values.FirstOrDefault()?.Trim().TrimStart('W', '/').Trim('"') is { Length: 64 } value && value.All(char.IsAsciiHexDigit))
            {
                return value.ToLowerInvariant();
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 820, Level = LogLevel.Information, Message = "downloading Whisper model {Name} from {Url} (resuming at byte {Offset})")]
        public static partial void Downloading(ILogger logger, string name, Uri url, long offset);

        [LoggerMessage(EventId = 821, Level = LogLevel.Information, Message = "Whisper model {Name} is at {Path} ({Check})")]
        public static partial void Pulled(ILogger logger, string name, string path, string check);
    }
}
