using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Security;

/// <summary>What Mnemo keeps is readable by its owner only: files 0600, folders 0700, in a fresh data directory and in one found looser.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class FilePermissionTests(EmbedderFixture embedder)
{
    private const UnixFileMode OthersBits = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task FreshDataDirectory_EveryFileAndFolder_IsTheOwnersOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var dir = new TempDirectory();
        var data = dir.File("data");
        await using (var server = await TestServer.StartAsync(data, embedder))
        {
            using var ingest = await server.Client.PostAsJsonAsync("/v1/ingest", new { turns = new[] { new { agent = "main", session = "s1", id = "e1", role = "user", text = "The spare key is under the blue pot." } } });
            ingest.EnsureSuccessStatusCode();
            Assert.True(File.Exists(Path.Combine(data, "mnemo.db-wal")), "the WAL is checked while the server runs");
            AssertPrivate(data);
        }

        AssertPrivate(data);
    }

    [Fact]
    public async Task ExistingLooseDataDirectory_IsTightenedWithAWarning_OtherFilesLeftAlone()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var dir = new TempDirectory();
        var data = dir.File("data");
        await (await EngineFactory.OpenAsync(data, embedder)).DisposeAsync();
        var loose = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(data, loose | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(Path.Combine(data, "mnemo.db"), loose);
        File.SetUnixFileMode(Path.Combine(data, "index"), loose | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var foreign = Path.Combine(data, "my-notes.txt");
        File.WriteAllText(foreign, "not Mnemo's");
        File.SetUnixFileMode(foreign, loose);

        var logs = new FakeLogCollector();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        await (await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = data }, embedder.Embedder, loggerFactory: loggers)).DisposeAsync();

        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(data) & OthersBits);
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(Path.Combine(data, "mnemo.db")) & OthersBits);
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(Path.Combine(data, "index")) & OthersBits);
        Assert.Equal(loose, File.GetUnixFileMode(foreign));
        var warning = Assert.Single(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("could be read by other users", StringComparison.Ordinal));
        Assert.Contains(data, warning.Message, StringComparison.Ordinal);
    }

    private static void AssertPrivate(string data)
    {
        var entries = new DirectoryInfo(data).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true }).Prepend(new DirectoryInfo(data)).ToList();
        Assert.True(entries.Count >= 4, string.Join(", ", entries.Select(e => e.Name)));
        Assert.All(entries, e => Assert.True((e.UnixFileMode & OthersBits) == 0, $"{e.FullName} is {e.UnixFileMode}"));
    }
}
