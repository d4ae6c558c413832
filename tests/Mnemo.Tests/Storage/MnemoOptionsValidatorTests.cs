namespace Mnemo.Tests.Storage;

public sealed class MnemoOptionsValidatorTests
{
    private static readonly MnemoOptions Good = new() { DataDirectory = "/tmp/x" };

    [Fact]
    public void Validate_Defaults_AreValid() => MnemoOptionsValidator.Validate(Good);

    [Fact]
    public void Validate_BadSettings_NameEveryOne()
    {
        var bad = Good with
        {
            Search = Good.Search with { TextWeight = -1, QuestionWeight = 0 },
            Chunking = Good.Chunking with { OverlapChars = 900 },
            Embeddings = Good.Embeddings with { Provider = "openai" },
        };

        var error = Assert.Throws<ArgumentException>(() => MnemoOptionsValidator.Validate(bad));

        Assert.Contains("Search.TextWeight = -1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Search.QuestionWeight", error.Message, StringComparison.Ordinal);
        Assert.Contains("Chunking.OverlapChars = 900", error.Message, StringComparison.Ordinal);
        Assert.Contains("Embeddings.BaseUrl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_BadSettings_RefusesBeforeTouchingTheDisk()
    {
        var directory = Path.Combine(Path.GetTempPath(), "mnemo-never-" + Guid.NewGuid().ToString("N"));

        await Assert.ThrowsAsync<ArgumentException>(() => MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = directory, IngestBatchSize = 0 }));

        Assert.False(Directory.Exists(directory));
    }
}
