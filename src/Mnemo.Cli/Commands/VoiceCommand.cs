using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Mnemo.Server.Hosting;
using Mnemo.Voice.Audio;
using Mnemo.Voice.Evaluation;
using Mnemo.Voice.Models;
using Mnemo.Voice.Transcription;

namespace Mnemo.Cli.Commands;

/// <summary>
/// <c>mnemo voice models list|pull &lt;name&gt;</c> and <c>mnemo voice eval &lt;dir-or-manifest&gt;</c>.
/// </summary>
internal static class VoiceCommand
{
    public static Command Create()
    {
        var voice = new Command("voice", "Whisper models and transcription quality");
        var models = new Command("models", "The ggml Whisper models in the data directory");
        var list = new Command("list", "Known models, and which are installed");
        list.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, context =>
        {
            var settings = MnemoSettings.Load(context.DataDirectory);
            using var http = MnemoHttpClients.Standalone.CreateClient(MnemoHttpClients.Downloads);
            var catalog = new WhisperModels(http, context.DataDirectory, settings.Voice.ModelSource, context.LoggerFactory.CreateLogger("voice")).List();
            var configured = settings.Voice.ResolveModelPath(context.DataDirectory);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(catalog.Select(m => new ModelJson(m.Name, m.ApproximateMegabytes, m.Installed, m.Path, m.Path == configured)).ToList()));
                return Task.FromResult(ExitCodes.Ok);
            }

            foreach (var model in catalog)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model.Name,-16} {model.ApproximateMegabytes,6} MB  {(model.Installed ? "installed" : "-"),-9} {(model.Path == configured ? "(configured)" : string.Empty)}"));
            }

            if (!string.IsNullOrWhiteSpace(settings.Voice.ModelPath))
            {
                Console.WriteLine($"Voice:ModelPath: {configured}{(File.Exists(configured) ? string.Empty : " (missing)")}");
            }

            return Task.FromResult(ExitCodes.Ok);
        }));
        var name = new Argument<string>("name") { Description = "tiny, base, small, medium, large-v3, large-v3-turbo, ... (.en for English-only)" };
        var pull = new Command("pull", "Download a model (resumes, checks the SHA-256 the server states)") { name };
        pull.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var settings = MnemoSettings.Load(context.DataDirectory);
            using var http = MnemoHttpClients.Standalone.CreateClient(MnemoHttpClients.Downloads);
            var last = Stopwatch.StartNew();
            var progress = new Progress<(long Done, long? Total)>(p =>
            {
                if (last.ElapsedMilliseconds > 1000)
                {
                    last.Restart();
                    Console.Error.WriteLine(p.Total is { } total
                        ? string.Create(CultureInfo.InvariantCulture, $"mnemo: {p.Done / 1048576.0:F0} of {total / 1048576.0:F0} MB")
                        : string.Create(CultureInfo.InvariantCulture, $"mnemo: {p.Done / 1048576.0:F0} MB"));
                }
            });
            var path = await new WhisperModels(http, context.DataDirectory, settings.Voice.ModelSource, context.LoggerFactory.CreateLogger("voice"))
                .PullAsync(parse.GetValue(name)!, progress, cancellationToken).ConfigureAwait(false);
            Console.WriteLine(path);
            return ExitCodes.Ok;
        }));
        models.Subcommands.Add(list);
        models.Subcommands.Add(pull);
        voice.Subcommands.Add(models);
        voice.Subcommands.Add(CreateEval());
        return voice;
    }

    private static Command CreateEval()
    {
        var source = new Argument<string>("dir-or-manifest") { Description = "Recordings with NAME.reference.txt or NAME.txt beside them, or a JSON manifest [{filename, transcription}]" };
        var model = new Option<string?>("--model") { Description = "A ggml model file (default: the configured one)" };
        var eval = new Command("eval", "Word error rate of the configured engine on recordings with reference transcripts") { source, model };
        eval.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var settings = MnemoSettings.Load(context.DataDirectory);
            var options = settings.Voice with { ModelPath = parse.GetValue(model) ?? settings.Voice.ModelPath };
            var samples = WordErrorRate.Load(Path.GetFullPath(parse.GetValue(source)!));
            if (samples.Count == 0)
            {
                throw new ArgumentException($"{parse.GetValue(source)} holds no recording with a reference transcript");
            }

            ITranscriber transcriber;
            try
            {
                transcriber = TranscriberFactory.Create(options, context.DataDirectory);
            }
            catch (TranscriptionException ex)
            {
                throw new InvalidOperationException(ex.Message, ex);
            }

            using var _ = transcriber;
            var results = new List<EvalSampleJson>();
            foreach (var sample in samples)
            {
                var clock = Stopwatch.StartNew();
                var audio = AudioDecoder.Decode(sample.Audio, options.MaxDuration);
                var transcript = await transcriber.TranscribeAsync(audio, cancellationToken).ConfigureAwait(false);
                var (edits, words) = WordErrorRate.Count(sample.Reference, transcript.Text);
                results.Add(new EvalSampleJson(Path.GetFileName(sample.Audio), words, edits, words == 0 ? 0 : (double)edits / words, audio.Duration.TotalSeconds, clock.Elapsed.TotalSeconds, transcript.Text));
            }

            var totalWords = results.Sum(r => r.ReferenceWords);
            var report = new VoiceEvalJson(transcriber.Engine, transcriber.Model, results.Count, totalWords == 0 ? 0 : (double)results.Sum(r => r.Edits) / totalWords,
                results.Sum(r => r.AudioSeconds) == 0 ? 0 : results.Sum(r => r.Seconds) / results.Sum(r => r.AudioSeconds), results);
            if (context.Json)
            {
                Console.WriteLine(CliJson.Serialize(report));
                return ExitCodes.Ok;
            }

            foreach (var r in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.File,-32} WER {r.Wer:P1}  ({r.Edits} edits / {r.ReferenceWords} words, {r.AudioSeconds:F1} s audio in {r.Seconds:F1} s)"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"overall WER {report.Wer:P1} over {report.Samples} recordings ({report.Engine}, {report.Model}, real-time factor {report.RealTimeFactor:F2})"));
            return ExitCodes.Ok;
        }));
        return eval;
    }
}
