using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Mnemo.Voice;
using Mnemo.Voice.Queue;

namespace Mnemo.Server.Api;

/// <summary>
/// <c>POST /v1/audio/transcriptions</c>, OpenAI-compatible: multipart with <c>file</c> (and the
/// ignored <c>model</c>, optional <c>language</c>), answered <c>{"text": ...}</c>. The upload is kept
/// and queued like any voice note (so the words become a memory), then transcribed at once.
/// Mnemo also reads the optional form fields <c>agent</c> and <c>session</c>.
/// </summary>
public static partial class VoiceApi
{
    public const long MaxUploadBytes = 200L * 1024 * 1024;

    public static IEndpointRouteBuilder MapVoiceApi(this IEndpointRouteBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        v1.MapPost("/audio/transcriptions", TranscribeAsync);
        v1.MapGet("/voice/jobs", JobsAsync);
        return v1;
    }

    private static async Task<IResult> TranscribeAsync(HttpContext http, VoiceWorkers workers, MemoryEngine engine, CancellationToken cancellationToken)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxUploadBytes;
        }

        if (!http.Request.HasFormContentType)
        {
            return OpenAiError(StatusCodes.Status415UnsupportedMediaType, "send the audio as multipart/form-data with a 'file' part", "file");
        }

        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
        {
            return OpenAiError(StatusCodes.Status400BadRequest, $"the form cannot be read: {ex.Message}", "file");
        }

        if (form.Files["file"] is not { Length: > 0 } file)
        {
            return OpenAiError(StatusCodes.Status400BadRequest, "'file' is required and must not be empty", "file");
        }

        var agent = form["agent"].ToString() is { Length: > 0 and <= 128 } a ? a : null;
        var session = form["session"].ToString() is { Length: > 0 and <= 256 } s ? s : null;
        var directory = VoiceOptions.UploadDirectory(engine.Options.DataDirectory);
        Directory.CreateDirectory(directory);
        // Never the client's name as a path: a fresh name, the extension kept when it is plain.
        var extension = Path.GetExtension(file.FileName) is { Length: > 1 and <= 6 } ext && SafeExtension().IsMatch(ext) ? ext.ToLowerInvariant() : ".audio";
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}{extension}");
        await using (var target = File.Create(path))
        {
            await file.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        }

        var (job, added) = await workers.Jobs.EnqueueAsync(path, "api", agent, session, cancellationToken, retryFailed: true).ConfigureAwait(false);
        if (!added)
        {
            File.Delete(path);
        }

        var processed = job.Status == "queued" ? await workers.ProcessNowAsync(job.Id, cancellationToken).ConfigureAwait(false) : null;
        var result = processed?.Job ?? job;
        switch (result.Status)
        {
            case "done":
                // Just transcribed: its words; sent before: the memory it became.
                var memories = processed?.Transcript is null && result.MemoryId is { } id ? await engine.GetMemoriesAsync([id], cancellationToken).ConfigureAwait(false) : [];
                var text = processed?.Transcript?.Text ?? (memories.Count > 0 ? memories[0].Text : string.Empty);
                return TypedResults.Json(new TranscriptionJson(text, result.Language, result.Duration?.TotalSeconds, result.Id, result.MemoryId), AutomationJsonContext.Default.TranscriptionJson);
            case "failed":
                return OpenAiError(StatusCodes.Status422UnprocessableEntity, result.Error ?? "the recording could not be transcribed", "file");
            default:
                return OpenAiError(StatusCodes.Status503ServiceUnavailable, $"the recording is queued (job {result.Id}, {result.Status}): {result.Error ?? "try again shortly"}", null);
        }
    }

    private static async Task<IResult> JobsAsync(VoiceWorkers workers, string? status, int? limit, CancellationToken cancellationToken)
    {
        var take = limit ?? 50;
        if (take is < 1 or > 500)
        {
            return RequestBody.Invalid($"limit must be between 1 and 500, not {take}", "limit");
        }

        var jobs = await workers.Jobs.ListAsync(status, take, cancellationToken).ConfigureAwait(false);
        var stats = await workers.Jobs.StatsAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(
            new VoiceJobListJson(stats.Queued, stats.Running, stats.Done, stats.Failed, [.. jobs.Select(j => new VoiceJobJson(j.Id, j.Path, j.Origin, j.Agent, j.Session, j.Status, j.Attempts, j.Error, j.CreatedAt, j.FinishedAt, j.MemoryId, j.Duration?.TotalSeconds, j.Language, j.Engine, j.Model))]),
            AutomationJsonContext.Default.VoiceJobListJson);
    }

    /// <summary>OpenAI's error shape, which OpenAI clients read.</summary>
    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<OpenAiErrorJson> OpenAiError(int status, string message, string? param) =>
        TypedResults.Json(new OpenAiErrorJson(new OpenAiErrorBodyJson(message, status >= 500 ? "server_error" : "invalid_request_error", param)), AutomationJsonContext.Default.OpenAiErrorJson, statusCode: status);

    [GeneratedRegex("^\\.[A-Za-z0-9]+$")]
    private static partial Regex SafeExtension();
}
