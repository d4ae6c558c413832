using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mnemo.Health;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Operations;

/// <summary>The data-quality check: ingest volume against its usual range, duplicate bursts, embedding failures.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class DataQualityTests(EmbedderFixture embedder)
{
    [Fact]
    public async Task DataQuality_SeesAVolumeDrop_ABurstOfDuplicates_AndAFailingEmbedder()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder);
        var check = new DataQualityHealthCheck(engine, TimeProvider.System);
        var chat = new Chat();
        for (var i = 0; i < 14 * 25; i++)
        {
            chat.Say("main", $"day{i / 25}", "user", $"Note {i}: item {i * 7919 % 1000} goes to shelf {i % 13}.", DateTimeOffset.UtcNow.AddDays(-1 - (i / 25)));
        }

        await chat.IngestAsync(engine);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);

        // Two weeks of 25 a day, then nothing in the last day: far below the usual range.
        await ExecuteAsync(engine, "UPDATE memories SET created_at = created_at - 86400000 * (1 + CAST(substr(session, 4) AS INTEGER))");
        var quiet = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, quiet.Status);
        Assert.Contains("far below its usual range: 0 memories", quiet.Description, StringComparison.Ordinal);

        // The same text stored 30 times over within the day.
        var repeats = new Chat();
        for (var i = 0; i < 30; i++)
        {
            repeats.Say("main", "loop", "assistant", "I could not reach the calendar service, retrying.", DateTimeOffset.UtcNow.AddMinutes(-i));
        }

        await repeats.IngestAsync(engine);
        var duplicates = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Contains("a burst of duplicate turns: 29 of", duplicates.Description, StringComparison.Ordinal);

        // An embedder that fails: the ingest fails, nothing half-stored, and health says why.
        await using var broken = await MemoryEngine.OpenAsync(new MnemoOptions { DataDirectory = dir.File("broken") }, new FailingEmbedder());
        var failed = await Assert.ThrowsAsync<Mnemo.Embeddings.EmbeddingFailedException>(() => new Chat().Say("main", "s", "user", "hello there", DateTimeOffset.UtcNow).IngestAsync(broken));
        Assert.IsType<InvalidOperationException>(failed.InnerException);
        Assert.Contains("nothing of this batch was stored", failed.Message, StringComparison.Ordinal);
        var failing = await new DataQualityHealthCheck(broken, TimeProvider.System).CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, failing.Status);
        Assert.Contains("embedding failed 1 time(s)", failing.Description, StringComparison.Ordinal);
        Assert.Equal(0, (await broken.GetStatsAsync()).Memories);
    }

    private static async Task ExecuteAsync(MemoryEngine engine, string sql)
    {
        await using var connection = await engine.Local.OpenConnectionAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>An embedding model that loads (it reports 384 dimensions) but fails every request, as a corrupted model would.</summary>
    private sealed class FailingEmbedder : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly EmbeddingGeneratorMetadata _metadata = new("failing", null, "failing-model", 384);

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the model file is damaged");

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata : null;

        public void Dispose()
        {
        }
    }
}
