using Microsoft.Extensions.DependencyInjection;
using Mnemo.Scheduling;
using Mnemo.Server.Hosting;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Server;

/// <summary>One composition root: the builder serve, mcp and the one-shot commands all use.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class CompositionTests(EmbedderFixture embedder)
{
    [Fact]
    public async Task AddMnemo_WithEveryPart_ResolvesTheEngineAndTheJobsServeRuns()
    {
        using var dir = new TempDirectory();
        var settings = MnemoSettings.Load(dir.Path, new Dictionary<string, string?> { ["Redaction:Pii"] = "true" });
        var services = new ServiceCollection().AddLogging();
        services.AddMnemo(settings).WithConfiguredStore().WithConfiguredEmbeddings().WithWhisper().WithTelegram().WithAutomation();
        services.AddSingleton(embedder.Embedder);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var engine = provider.GetRequiredService<MemoryEngine>();
        var jobs = await provider.GetRequiredService<Automation>().Scheduler.ListAsync(CancellationToken.None);

        Assert.True(engine.Options.Redaction.Pii);
        Assert.Same(engine, provider.GetRequiredService<MemoryEngine>());
        Assert.Contains(jobs, j => j.Name == JobNames.VoiceSweep);
        Assert.Contains(jobs, j => j.Name == JobNames.DailySync);
        Assert.False(engine.IsShared);
    }

    [Fact]
    public async Task AddMnemo_WithoutAnEmbedderOfTheHosts_RunsTheBundledModelThroughOnnx()
    {
        using var dir = new TempDirectory();
        var services = new ServiceCollection().AddLogging();
        services.AddMnemo(MnemoSettings.Load(dir.Path)).WithConfiguredStore().WithConfiguredEmbeddings();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var engine = provider.GetRequiredService<MemoryEngine>();

        Assert.Equal(Mnemo.Embeddings.LocalEmbeddingModel.Default.ModelId, engine.ModelId);
        Assert.NotNull(provider.GetService<Mnemo.Embeddings.LocalEmbedderFactory>());
    }

    [Fact]
    public void PartsThatNeedTheWholeSettings_SayHowToGiveThem()
    {
        var builder = new ServiceCollection().AddMnemo(new MnemoOptions { DataDirectory = Path.GetTempPath() });

        var error = Assert.Throws<InvalidOperationException>(() => builder.WithWhisper());

        Assert.Contains("AddMnemo(MnemoSettings)", error.Message, StringComparison.Ordinal);
    }
}
