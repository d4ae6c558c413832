using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Mnemo.Tests.Support;
using Mnemo.Voice;
using Mnemo.Voice.Audio;
using Mnemo.Voice.Queue;
using Mnemo.Voice.Transcription;
using Transcript = Mnemo.Voice.Transcription.Transcript;

namespace Mnemo.Tests.Voice;

/// <summary>The durable queue, its workers and intake folders, and the HTTP endpoint, on real audio.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class VoiceQueueTests(EmbedderFixture embedder)
{
    private const string Words = "Remember that the locker code at the gym is 4471.";

    private static string Copy(TempDirectory dir, string fixture, string name)
    {
        var path = dir.File(name);
        File.Copy(SharedData.Speech(fixture), path);
        return path;
    }

    [Fact]
    public async Task QueuedNote_BecomesASearchableMemory_WithItsProvenanceOnTheJob()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder);
        var jobs = new VoiceJobStore(engine.Local, TimeProvider.System);
        using var workers = new VoiceWorkers(engine, jobs, new VoiceOptions(), dir.Path, TimeProvider.System, NullLogger<VoiceWorkers>.Instance, () => new ScriptedTranscriber(_ => Words));
        var (queued, added) = await jobs.EnqueueAsync(Copy(dir, "jfk.wav", "note.wav"), "inbox", "home", null, CancellationToken.None);
        var (again, addedAgain) = await jobs.EnqueueAsync(Copy(dir, "jfk.wav", "same-note.wav"), "openclaw", null, null, CancellationToken.None);

        Assert.True(await workers.ProcessNextAsync(CancellationToken.None));
        Assert.False(await workers.ProcessNextAsync(CancellationToken.None));

        Assert.True(added);
        Assert.False(addedAgain);
        Assert.Equal(queued.Id, again.Id);
        var job = (await jobs.GetAsync(queued.Id, CancellationToken.None))!;
        Assert.Equal("done", job.Status);
        Assert.Equal(TimeSpan.FromSeconds(11), job.Duration);
        Assert.Equal(("en", "scripted", "test"), (job.Language, job.Engine, job.Model));
        var hit = Assert.Single(await engine.SearchAsync(new Mnemo.Search.SearchRequest("what is the gym locker code", 3, new Mnemo.Storage.MemoryFilter("home"))));
        Assert.Equal(job.MemoryId, hit.Memory.Id);
        Assert.Equal(("user", "voice-notes", "voice note"), (hit.Memory.Role, hit.Memory.Session, hit.Memory.Speaker));
        Assert.EndsWith("note.wav", hit.Memory.Source, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailingJobs_AreRetriedWithBackoffThenFailed_AndNeverBlockTheQueue()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var jobs = new VoiceJobStore(engine.Local, time);
        var corrupt = dir.File("corrupt.ogg");
        await File.WriteAllBytesAsync(corrupt, [.. "OggS"u8, .. new byte[100]]);
        var engineDown = Copy(dir, "OSR_us_000_0034_8k.wav", "engine-down.wav");
        var fine = Copy(dir, "jfk.wav", "fine.wav");
        using var workers = new VoiceWorkers(engine, jobs, new VoiceOptions { MaxAttempts = 2 }, dir.Path, time, NullLogger<VoiceWorkers>.Instance,
            () => new ScriptedTranscriber(audio => audio.Duration > TimeSpan.FromSeconds(20) ? throw new TranscriptionException("whisper.cpp failed on the recording: out of memory") : Words));
        var (bad, _) = await jobs.EnqueueAsync(corrupt, "inbox", null, null, CancellationToken.None);
        var (down, _) = await jobs.EnqueueAsync(engineDown, "inbox", null, null, CancellationToken.None);
        var (good, _) = await jobs.EnqueueAsync(fine, "inbox", null, null, CancellationToken.None);

        while (await workers.ProcessNextAsync(CancellationToken.None))
        {
        }

        var waiting = (await jobs.GetAsync(down.Id, CancellationToken.None))!;
        time.Advance(TimeSpan.FromMinutes(1));
        while (await workers.ProcessNextAsync(CancellationToken.None))
        {
        }

        var failedBad = (await jobs.GetAsync(bad.Id, CancellationToken.None))!;
        Assert.Equal("failed", failedBad.Status);
        Assert.Equal(1, failedBad.Attempts);
        Assert.Contains("corrupt.ogg", failedBad.Error, StringComparison.Ordinal);
        Assert.Equal("queued", waiting.Status);
        Assert.Contains("out of memory", waiting.Error, StringComparison.Ordinal);
        var failedDown = (await jobs.GetAsync(down.Id, CancellationToken.None))!;
        Assert.Equal(("failed", 2), (failedDown.Status, failedDown.Attempts));
        Assert.Equal("done", (await jobs.GetAsync(good.Id, CancellationToken.None))!.Status);
        Assert.Equal(new VoiceQueueStats(0, 0, 1, 2), await jobs.StatsAsync(CancellationToken.None));

        // Sent again on purpose (say, once the engine is fixed), a failed recording is queued afresh; swept again, it is not.
        var (swept, sweptAdded) = await jobs.EnqueueAsync(engineDown, "inbox", null, null, CancellationToken.None);
        var (resent, resentAdded) = await jobs.EnqueueAsync(engineDown, "api", "home", null, CancellationToken.None, retryFailed: true);
        Assert.False(sweptAdded);
        Assert.Equal("failed", swept.Status);
        Assert.True(resentAdded);
        Assert.Equal((down.Id, "queued", 0, "home"), (resent.Id, resent.Status, resent.Attempts, resent.Agent));
    }

    [Fact]
    public async Task Intake_QueuesTheInboxAndOpenClawsAudio_IgnoresItsPhotos_AndExpiresOnlyItsOwnAudio()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.File("data"), embedder);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(1));
        var jobs = new VoiceJobStore(engine.Local, time);
        var options = new VoiceOptions { KeepAudioDays = 7 };
        using var workers = new VoiceWorkers(engine, jobs, options, dir.File("data"), time, NullLogger<VoiceWorkers>.Instance, () => new ScriptedTranscriber(_ => Words));
        var state = dir.File("openclaw");
        var inbound = Directory.CreateDirectory(Path.Combine(state, "media", "inbound")).FullName;
        using var intake = new VoiceIntake(workers, options, dir.File("data"), state, time, NullLogger<VoiceIntake>.Instance);
        Directory.CreateDirectory(intake.Inbox);
        File.Copy(SharedData.Speech("jfk.wav"), Path.Combine(intake.Inbox, "memo.wav"));
        await File.WriteAllBytesAsync(Path.Combine(inbound, "voice.ogg"), OggOpusWriter.Encode(AudioDecoder.Decode(SharedData.Speech("OSR_us_000_0034_8k.wav"), TimeSpan.FromMinutes(5)).Samples[..48_000], 16_000));
        await File.WriteAllBytesAsync(Path.Combine(inbound, "photo.png"), [0x89, .. "PNG\r\n\u001a\n"u8, .. new byte[64]]);

        var first = await intake.SweepAsync(CancellationToken.None);
        var second = await intake.SweepAsync(CancellationToken.None);
        while (await workers.ProcessNextAsync(CancellationToken.None))
        {
        }

        time.Advance(TimeSpan.FromDays(8));
        var deleted = await intake.DeleteOldAudioAsync(CancellationToken.None);

        Assert.Equal(2, first);
        Assert.Equal(0, second);
        var all = await jobs.ListAsync(null, 10, CancellationToken.None);
        Assert.Equal(["inbox", "openclaw"], all.Select(j => j.Origin).Order());
        Assert.All(all, j => Assert.Equal("done", j.Status));
        Assert.Equal(1, deleted);
        Assert.False(File.Exists(Path.Combine(intake.Inbox, "memo.wav")));
        Assert.True(File.Exists(Path.Combine(inbound, "voice.ogg")));
    }

    [Fact]
    public async Task Http_OpenAiCompatibleTranscription_StoresTheWords_AndRefusesJunkClearly()
    {
        using var dir = new TempDirectory();
        var scripted = new ScriptedTranscriber(_ => Words);
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, configure: services => services.AddSingleton<Func<ITranscriber>>(() => scripted));

        using var first = await server.Client.PostAsync("/v1/audio/transcriptions", Upload(await File.ReadAllBytesAsync(SharedData.Speech("jfk.wav")), "../../evil name.wav", ("agent", "home")));
        using var again = await server.Client.PostAsync("/v1/audio/transcriptions", Upload(await File.ReadAllBytesAsync(SharedData.Speech("jfk.wav")), "again.wav"));
        using var junk = await server.Client.PostAsync("/v1/audio/transcriptions", Upload("not audio"u8.ToArray(), "junk.mp3"));
        using var empty = await server.Client.PostAsync("/v1/audio/transcriptions", new MultipartFormDataContent { { new StringContent("whisper-1"), "model" } });
        using var anonymous = await server.Anonymous.PostAsync("/v1/audio/transcriptions", Upload([1, 2, 3], "x.wav"));
        using var list = await server.Client.GetAsync("/v1/voice/jobs");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var reply = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(Words, reply.GetProperty("text").GetString());
        Assert.Equal(Words, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("text").GetString());
        Assert.Equal(1, scripted.Calls);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, junk.StatusCode);
        Assert.Contains("not a WAV, Ogg/Opus or MP3 file", JsonDocument.Parse(await junk.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var jobs = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((1, 1), (jobs.GetProperty("done").GetInt32(), jobs.GetProperty("failed").GetInt32()));
        Assert.All(jobs.GetProperty("jobs").EnumerateArray(), j => Assert.StartsWith(Path.Combine(dir.File("data"), "voice", "uploads"), j.GetProperty("path").GetString(), StringComparison.Ordinal));
        var hits = await server.Services.GetRequiredService<MemoryEngine>().SearchAsync(new Mnemo.Search.SearchRequest("gym locker code", 3, new Mnemo.Storage.MemoryFilter("home")));
        Assert.Contains(hits, h => h.Memory.Text == Words);
    }

    [Fact]
    public async Task TranscribeCommand_WhileServeRuns_GoesThroughItsQueue_SoTheWordsAreRemembered()
    {
        using var dir = new TempDirectory();
        var scripted = new ScriptedTranscriber(_ => Words);
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, configure: services => services.AddSingleton<Func<ITranscriber>>(() => scripted));

        var (code, stdout, stderr) = await CliProcess.RunAsync(dir.File("data"), new Dictionary<string, string> { ["MNEMO_Server__Urls"] = server.Address.ToString() }, "transcribe", SharedData.Speech("jfk.wav"));

        Assert.True(code == 0, stderr);
        Assert.Equal(Words, stdout.Trim());
        var hits = await server.Services.GetRequiredService<MemoryEngine>().SearchAsync(new Mnemo.Search.SearchRequest("gym locker code", 3));
        Assert.Contains(hits, h => h.Memory.Text == Words);
    }

    [Fact]
    public async Task Serve_TranscribesWhatLandsInTheInbox()
    {
        using var dir = new TempDirectory();
        var scripted = new ScriptedTranscriber(_ => Words);
        var overrides = new Dictionary<string, string?> { ["Voice:Watch"] = "true", ["OpenClaw:StateDirectory"] = Directory.CreateDirectory(dir.File("openclaw")).FullName };
        await using var server = await TestServer.StartAsync(dir.File("data"), embedder, overrides, configure: services => services.AddSingleton<Func<ITranscriber>>(() => scripted));
        var inbox = VoiceOptions.InboxDirectory(dir.File("data"));
        Directory.CreateDirectory(inbox);
        File.Copy(SharedData.Speech("jfk.wav"), Path.Combine(inbox, "dropped.wav"));

        JsonElement jobs = default;
        for (var i = 0; i < 100 && !(jobs.ValueKind == JsonValueKind.Object && jobs.GetProperty("done").GetInt32() == 1); i++)
        {
            await Task.Delay(100);
            using var list = await server.Client.GetAsync("/v1/voice/jobs");
            jobs = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement;
        }

        Assert.Equal(1, jobs.GetProperty("done").GetInt32());
        Assert.Equal("inbox", jobs.GetProperty("jobs")[0].GetProperty("origin").GetString());
    }

    private static MultipartFormDataContent Upload(byte[] bytes, string name, params (string Key, string Value)[] fields)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        var form = new MultipartFormDataContent { { file, "file", name }, { new StringContent("whisper-1"), "model" } };
        foreach (var (key, value) in fields)
        {
            form.Add(new StringContent(value), key);
        }

        return form;
    }
}
