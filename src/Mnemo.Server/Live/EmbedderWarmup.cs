using Microsoft.Extensions.Hosting;
using Mnemo.Retention;

namespace Mnemo.Server.Live;

/// <summary>Loads the embedding model at start, so the agent's first turn does not wait for it.</summary>
internal sealed class EmbedderWarmup(MemoryEngine engine) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        engine.BuildContextAsync(new RetainedContextRequest("warmup", null, null, "warm up"), stoppingToken);
}
