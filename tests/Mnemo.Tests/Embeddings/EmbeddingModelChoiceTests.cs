using Mnemo.Embeddings;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Embeddings;

/// <summary>Which model a store gets when the configuration leaves it to Mnemo.</summary>
public sealed class EmbeddingModelChoiceTests
{
    [Fact]
    public async Task Auto_NewStore_GetsTheDefaultModel()
    {
        using var dir = new TempDirectory();

        await using var engine = await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir.File("data") }, plugins: new(OnnxEmbeddings.Create));

        Assert.Equal(LocalEmbeddingModel.Default.ModelId, engine.ModelId);
    }

    [Fact]
    public async Task BundledModel_WithoutTheRuntimeThatRunsIt_IsRefusedSayingWhatToPlugIn()
    {
        using var dir = new TempDirectory();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir.File("data") }));

        Assert.Contains("WithOnnxEmbeddings()", error.Message, StringComparison.Ordinal);
        Assert.Contains(LocalEmbeddingModel.Default.Name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_StoreMadeWithAnotherLocalModel_KeepsIt()
    {
        using var dir = new TempDirectory();
        var options = new MnemoOptions { DataDirectory = dir.File("data") };
        await using (var first = await MemoryEngine.OpenAsync(options with { Embeddings = new EmbeddingOptions { Provider = "arctic-xs" } }, plugins: new(OnnxEmbeddings.Create)))
        {
            Assert.Equal(LocalEmbeddingModel.ArcticXs.ModelId, first.ModelId);
        }

        await using var reopened = await MemoryEngine.OpenAsync(options, plugins: new(OnnxEmbeddings.Create));

        Assert.Equal(LocalEmbeddingModel.ArcticXs.ModelId, reopened.ModelId);
    }

    [Fact]
    public async Task NamedModel_DifferentFromTheStores_IsRefusedWithBothNames()
    {
        using var dir = new TempDirectory();
        var options = new MnemoOptions { DataDirectory = dir.File("data") };
        await using (await MemoryEngine.OpenAsync(options with { Embeddings = new EmbeddingOptions { Provider = "minilm" } }, plugins: new(OnnxEmbeddings.Create)))
        {
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => MemoryEngine.OpenAsync(options with { Embeddings = new EmbeddingOptions { Provider = "arctic-xs" } }, plugins: new(OnnxEmbeddings.Create)));
        await using var reopened = await MemoryEngine.OpenAsync(options, plugins: new(OnnxEmbeddings.Create));
        Assert.Equal(LocalEmbeddingModel.MiniLm.ModelId, reopened.ModelId);

        Assert.Contains(LocalEmbeddingModel.MiniLm.ModelId, error.Message, StringComparison.Ordinal);
        Assert.Contains(LocalEmbeddingModel.ArcticXs.ModelId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownProvider_IsRefusedNamingTheChoices()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => MemoryEngine.CreateEmbedder(new EmbeddingOptions { Provider = "bert-huge" }));

        Assert.Contains("bert-huge", error.Message, StringComparison.Ordinal);
        Assert.Contains("arctic-xs", error.Message, StringComparison.Ordinal);
    }
}
