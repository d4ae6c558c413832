using System.CommandLine;
using Mnemo.Server.Hosting;
using Mnemo.Voice.Audio;
using Mnemo.Voice.Transcription;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo transcribe &lt;audio-file&gt; [--json]</c>: the plain transcript on stdout and exit 0,
/// which is the contract of OpenClaw's <c>tools.media.models</c> CLI entry. Errors go to stderr:
/// exit 1 for audio that cannot be read, 2 when the engine or its model is missing or fails.
/// </summary>
internal static class TranscribeCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("audio-file") { Description = "A WAV, Ogg/Opus or MP3 recording" };
        var model = new Option<string?>("--model") { Description = "A ggml model file (default: Voice:ModelPath, or models/ggml-<Voice:Model>.bin in the data directory)" };
        var language = new Option<string?>("--language") { Description = "Language code, or auto (default: Voice:Language)" };
        var command = new Command("transcribe", "Transcribe a voice note and print the text") { file, model, language };
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var settings = MnemoSettings.Load(context.DataDirectory);
            var options = settings.Voice with
            {
                ModelPath = parse.GetValue(model) ?? settings.Voice.ModelPath,
                Language = parse.GetValue(language) ?? settings.Voice.Language,
            };
            var path = Path.GetFullPath(parse.GetValue(file)!);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{path} does not exist");
            }

            // With mnemo serve running, the recording goes through its queue: the words become a
            // memory, and one process writes the store. Otherwise it is transcribed here.
            if (parse.GetValue(model) is null && parse.GetValue(language) is null
                && await TranscribeInServeAsync(settings, path, cancellationToken).ConfigureAwait(false) is { } served)
            {
                Console.WriteLine(context.Json ? CliJson.Serialize(new TranscriptJson(served, null, "mnemo serve", settings.Voice.Model, 0, [])) : served);
                return ExitCodes.Ok;
            }

            Transcript transcript;
            try
            {
                var audio = AudioDecoder.Decode(path, options.MaxDuration);
                using var transcriber = TranscriberFactory.Create(options, context.DataDirectory);
                transcript = await transcriber.TranscribeAsync(audio, cancellationToken).ConfigureAwait(false);
            }
            catch (AudioFormatException ex)
            {
                throw new InvalidDataException(ex.Message, ex);
            }
            catch (TranscriptionException ex)
            {
                throw new InvalidOperationException(ex.Message, ex);
            }

            Console.WriteLine(context.Json
                ? CliJson.Serialize(new TranscriptJson(transcript.Text, transcript.Language, transcript.Engine == "whisper.cpp" ? $"whisper.cpp ({WhisperTranscriber.Runtime})" : transcript.Engine, transcript.Model, transcript.Duration.TotalSeconds,
                    [.. transcript.Segments.Select(s => new TranscriptSegmentJson(s.Start.TotalSeconds, s.End.TotalSeconds, s.Text))]))
                : transcript.Text);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Sends the file to a running <c>mnemo serve</c>'s transcription endpoint; null when none answers for this data directory.</summary>
    private static async Task<string?> TranscribeInServeAsync(MnemoSettings settings, string path, CancellationToken cancellationToken)
    {
        using var http = ServeClient.Create(settings, settings.Voice.JobTimeout + TimeSpan.FromMinutes(1));
        await using var audio = File.OpenRead(path);
        using var form = new MultipartFormDataContent { { new StreamContent(audio), "file", Path.GetFileName(path) } };
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(new Uri("/v1/audio/transcriptions", UriKind.Relative), form, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.NotFound)
            {
                // Something else serves there (another data directory, another program): transcribe here.
                return null;
            }

            using var json = System.Text.Json.JsonDocument.Parse(body);
            if (response.IsSuccessStatusCode)
            {
                return json.RootElement.GetProperty("text").GetString() ?? string.Empty;
            }

            var message = json.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var m) ? m.GetString() : body;
            throw (int)response.StatusCode is >= 400 and < 500
                ? new InvalidDataException(message)
                : new InvalidOperationException($"mnemo serve could not transcribe {Path.GetFileName(path)}: {message}");
        }
    }
}
