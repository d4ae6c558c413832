using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Mnemo.Voice;
using Mnemo.Voice.Audio;
using Mnemo.Voice.Queue;
using Mnemo.Voice.Transcription;

namespace Mnemo.Bench;

/// <summary>
/// Voice notes: decode throughput per format (jfk.wav as WAV, as Ogg/Opus made with Concentus, as
/// MP3 made by lame when it is installed), and queue throughput with 1 and 2 workers, both with
/// whisper.cpp on the loader-test model (the native path, not accuracy) and with an engine that
/// returns at once (what the durable queue itself costs: claim, decode, store the memory, record).
/// </summary>
internal static class VoiceBenchmark
{
    private sealed class Instant : ITranscriber
    {
        public string Engine => "instant";

        public string Model => "none";

        public Task<Transcript> TranscribeAsync(PcmAudio audio, CancellationToken cancellationToken) =>
            Task.FromResult(new Transcript("a voice note about the garden shed", "en", [], Engine, Model, audio.Duration));

        public void Dispose()
        {
        }
    }

    public static async Task RunAsync(string speech, Embeddings.LocalEmbeddingGenerator embedder)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mnemo-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var wav = Path.Combine(speech, "jfk.wav");
            var pcm = AudioDecoder.Decode(wav, TimeSpan.FromHours(1));
            var ogg = Path.Combine(dir, "jfk.ogg");
            await File.WriteAllBytesAsync(ogg, OggOpusWriter.Encode(pcm.Samples, PcmAudio.SampleRate));
            var files = new List<(string Format, string Path)> { ("wav 16 kHz", wav), ("wav 8 kHz (resampled)", Path.Combine(speech, "OSR_us_000_0034_8k.wav")), ("ogg/opus 48 kHz", ogg) };
            var mp3 = Path.Combine(dir, "jfk.mp3");
            try
            {
                using var lame = Process.Start(new ProcessStartInfo("lame", ["--quiet", "-b", "64", wav, mp3]) { UseShellExecute = false })!;
                await lame.WaitForExitAsync();
                files.Add(("mp3 (lame, 64 kbit/s)", mp3));
            }
            catch (System.ComponentModel.Win32Exception)
            {
                Console.WriteLine("(lame is not installed: no MP3 row)");
            }

            Console.WriteLine("\n## Voice: decode to 16 kHz mono");
            Console.WriteLine("| format | audio | decode, median of 5 | times real time |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var (format, path) in files)
            {
                var times = new List<double>();
                PcmAudio audio = null!;
                for (var i = 0; i < 6; i++)
                {
                    var clock = Stopwatch.StartNew();
                    audio = AudioDecoder.Decode(path, TimeSpan.FromHours(1));
                    if (i > 0)
                    {
                        times.Add(clock.Elapsed.TotalMilliseconds);
                    }
                }

                var median = times.Order().ElementAt(times.Count / 2);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {format} | {audio.Duration.TotalSeconds:F1} s | {median:F1} ms | {audio.Duration.TotalMilliseconds / median:F0}x |"));
            }

            Console.WriteLine("\n## Voice: queue throughput (20 notes of 11 s, Ogg/Opus)");
            Console.WriteLine("| engine | workers | jobs/s | seconds for 20 |");
            Console.WriteLine("|---|---|---|---|");
            var model = Path.Combine(speech, "for-tests-ggml-tiny.en.bin");
            foreach (var (engine, workers) in new[] { ("instant", 1), ("instant", 2), ("whisper.cpp tiny (test weights)", 1), ("whisper.cpp tiny (test weights)", 2) })
            {
                var data = Path.Combine(dir, $"data-{Guid.NewGuid():N}");
                var options = new VoiceOptions { ModelPath = model, Workers = workers, Threads = Math.Max(1, Environment.ProcessorCount / workers), Language = "en" };
                await using var store = await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = data }, embedder, plugins: BenchPlugins.All);
                var jobs = new VoiceJobStore(store.Local, TimeProvider.System);
                using var pool = new VoiceWorkers(store, jobs, options, data, TimeProvider.System, NullLogger<VoiceWorkers>.Instance,
                    engine == "instant" ? () => new Instant() : () => WhisperTranscriber.Open(options, data));
                for (var i = 0; i < 20; i++)
                {
                    // Each note differs by one sample, so none is a duplicate of another.
                    var note = (float[])pcm.Samples.Clone();
                    note[i] += 0.001f;
                    var path = Path.Combine(data, $"note-{i}.ogg");
                    await File.WriteAllBytesAsync(path, OggOpusWriter.Encode(note, PcmAudio.SampleRate));
                    await jobs.EnqueueAsync(path, "bench", "main", null, CancellationToken.None);
                }

                using var stop = new CancellationTokenSource();
                var clock = Stopwatch.StartNew();
                var run = pool.RunAsync(stop.Token);
                while ((await jobs.StatsAsync(CancellationToken.None)) is { Done: < 20 } stats && stats.Failed == 0)
                {
                    await Task.Delay(20);
                }

                var seconds = clock.Elapsed.TotalSeconds;
                await stop.CancelAsync();
                await run;
                var final = await jobs.StatsAsync(CancellationToken.None);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {engine} | {workers} | {final.Done / seconds:F2} | {seconds:F1}{(final.Failed > 0 ? $" ({final.Failed} failed)" : string.Empty)} |"));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
