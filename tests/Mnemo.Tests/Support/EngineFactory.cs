namespace Mnemo.Tests.Support;

public static class EngineFactory
{
    public static Task<MemoryEngine> OpenAsync(string directory, EmbedderFixture embedder, Func<MnemoOptions, MnemoOptions>? configure = null)
    {
        var options = new MnemoOptions { DataDirectory = directory };
        return MemoryEngine.OpenAsync(configure?.Invoke(options) ?? options, embedder.Embedder);
    }
}
