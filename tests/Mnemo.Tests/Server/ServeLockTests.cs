using Mnemo.Server.Hosting;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Server;

/// <summary>One serve per data directory; the tools still work beside it.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class ServeLockTests(EmbedderFixture embedder)
{
    [Fact]
    public async Task ASecondServe_OnTheSameDataDirectory_Refuses_AndStartsOnceTheFirstHasStopped()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        var first = await TestServer.StartAsync(data, embedder);

        var refused = Assert.Throws<InvalidOperationException>(() => MnemoServer.Build(MnemoSettings.Load(data)));
        var search = await CliProcess.RunAsync(data, "search", "anything at all");

        Assert.Contains("another mnemo serve is already using the data directory", refused.Message, StringComparison.Ordinal);
        Assert.True(search.ExitCode == 0, search.Stderr);
        await first.DisposeAsync();
        await using var second = await TestServer.StartAsync(data, embedder);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await second.Anonymous.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
    }
}
