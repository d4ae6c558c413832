using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mnemo.Tests.Support;
using Mnemo.Voice.Evaluation;
using Mnemo.Voice.Models;

namespace Mnemo.Tests.Voice;

/// <summary>Word error rate, <c>mnemo voice eval</c>, and model downloads against a loopback model host.</summary>
public sealed class VoiceToolsTests
{
    [Theory]
    [InlineData("the cat sat on the mat", "the cat sat on mat", 1, 6)]
    [InlineData("And so, my fellow Americans!", "and so my fellow americans", 0, 5)]
    [InlineData("ask not what your country", "ask what your country can do", 3, 5)]
    [InlineData("one two", "", 2, 2)]
    public void Wer_CountsWordEdits_AfterNormalizing(string reference, string hypothesis, int edits, int words) =>
        Assert.Equal((edits, words), WordErrorRate.Count(reference, hypothesis));

    [Fact]
    public void Samples_FromADirectoryOfReferencesAndManifests()
    {
        var samples = WordErrorRate.Load(SharedData.Speech(string.Empty));

        Assert.Equal(["OSR_us_000_0034_8k.wav", "jfk.wav"], samples.Select(s => Path.GetFileName(s.Audio)).Order(StringComparer.Ordinal));
        Assert.StartsWith("And so my fellow Americans", samples.Single(s => s.Audio.EndsWith("jfk.wav", StringComparison.Ordinal)).Reference, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VoiceEval_ReportsWerPerRecording_ReadyForRealModels()
    {
        using var dir = new TempDirectory();
        var (code, stdout, stderr) = await CliProcess.RunAsync(dir.Path, "voice", "eval", SharedData.Speech(string.Empty), "--model", SharedData.Speech("for-tests-ggml-tiny.en.bin"), "--json");

        Assert.True(code == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(2, report.GetProperty("samples").GetInt32());
        Assert.Equal("whisper.cpp", report.GetProperty("engine").GetString());
        // The loader-test model has no weights: it transcribes nothing, so every word is an error.
        Assert.Equal(1.0, report.GetProperty("wer").GetDouble(), 3);
        Assert.Equal(22, report.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("file").GetString() == "jfk.wav").GetProperty("referenceWords").GetInt32());
    }

    [Fact]
    public async Task Pull_ResumesAPartialDownload_AndChecksTheStatedSha256()
    {
        var model = new byte[3 * 1024 * 1024];
        Random.Shared.NextBytes(model);
        "lmgg"u8.CopyTo(model);
        await using var host = await ModelHost.StartAsync(model);
        using var dir = new TempDirectory();
        using var http = new HttpClient();
        var models = new WhisperModels(http, dir.Path, host.Url, NullLogger.Instance);
        Directory.CreateDirectory(models.Directory);
        await File.WriteAllBytesAsync(models.PathOf("tiny") + ".partial", model[..1_000_000]);

        var path = await models.PullAsync("tiny", null, CancellationToken.None);

        Assert.Equal(model, await File.ReadAllBytesAsync(path));
        Assert.Equal("bytes=1000000-", host.Ranges.Single());
        Assert.False(File.Exists(path + ".partial"));
        Assert.Contains(models.List(), m => m.Name == "tiny" && m.Installed);

        host.StatedSha256 = new string('0', 64);
        var bad = await Assert.ThrowsAsync<InvalidDataException>(() => models.PullAsync("base", null, CancellationToken.None));
        Assert.Contains("SHA-256", bad.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(models.PathOf("base")));
        Assert.False(File.Exists(models.PathOf("base") + ".partial"));
        await Assert.ThrowsAsync<ArgumentException>(() => models.PullAsync("huge-v9", null, CancellationToken.None));
    }

    /// <summary>Serves one file for every model name the way Hugging Face does: ranges, and the SHA-256 as X-Linked-ETag.</summary>
    private sealed class ModelHost : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private ModelHost(WebApplication app, byte[] model)
        {
            _app = app;
            StatedSha256 = Convert.ToHexStringLower(SHA256.HashData(model));
        }

        public string StatedSha256 { get; set; }

        public List<string> Ranges { get; } = [];

        public string Url => _app.Urls.Single() + "/models";

        public static async Task<ModelHost> StartAsync(byte[] model)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var host = new ModelHost(app, model);
            app.MapGet("/models/{file}", async (HttpContext http) =>
            {
                http.Response.Headers["X-Linked-ETag"] = $"\"{host.StatedSha256}\"";
                var range = http.Request.Headers.Range.ToString();
                var from = 0;
                if (range.StartsWith("bytes=", StringComparison.Ordinal))
                {
                    host.Ranges.Add(range);
                    from = int.Parse(range[6..].TrimEnd('-'), System.Globalization.CultureInfo.InvariantCulture);
                    http.Response.StatusCode = (int)HttpStatusCode.PartialContent;
                    http.Response.Headers.ContentRange = $"bytes {from}-{model.Length - 1}/{model.Length}";
                }

                http.Response.ContentLength = model.Length - from;
                await http.Response.Body.WriteAsync(model.AsMemory(from));
            });
            await app.StartAsync();
            return host;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
