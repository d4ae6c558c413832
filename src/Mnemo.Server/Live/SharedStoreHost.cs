using Microsoft.Extensions.Hosting;
using Mnemo.Postgres;

namespace Mnemo.Server.Live;

/// <summary>
/// On a store shared with other nodes: follows their changes into this node's vector index, and
/// takes this node's share of the queued work. Both survive the database going away.
/// </summary>
internal sealed class SharedStoreHost(PostgresChangeFeed feed, SharedWorkWorker worker) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Task.Run(() => feed.RunAsync(stoppingToken), CancellationToken.None), Task.Run(() => worker.RunAsync(stoppingToken), CancellationToken.None));
}
