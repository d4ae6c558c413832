using Microsoft.Extensions.Logging;
using Mnemo.Digests;
using Mnemo.Signals;

namespace Mnemo.Delivery;

/// <summary>
/// Sends the digests and signals the config asks for through every configured channel, once:
/// what was delivered is marked, what failed stays pending and goes with the next run.
/// </summary>
public sealed partial class DeliveryService(IReadOnlyList<IDeliveryChannel> channels, DigestOptions options, DigestStore digests, SignalStore signals, Feedback.ContextNoticeStore notices, TimeProvider time, ILogger<DeliveryService> logger)
{
    /// <summary>How far back undelivered items are still worth sending.</summary>
    public static readonly TimeSpan PendingWindow = TimeSpan.FromDays(2);

    public bool IsConfigured => channels.Count > 0;

    /// <summary>Delivers what is pending; returns how many items went out.</summary>
    /// <exception cref="DeliveryException">Some item could not be delivered (it stays pending).</exception>
    public async Task<int> DeliverPendingAsync(CancellationToken cancellationToken)
    {
        if (channels.Count == 0)
        {
            return 0;
        }

        var now = time.GetUtcNow();
        var failures = new List<string>();
        var sent = 0;
        foreach (var kind in new[] { DigestKind.Hourly, DigestKind.Daily, DigestKind.Weekly })
        {
            if (!Wants(DigestStore.KindName(kind)))
            {
                continue;
            }

            var pending = (await digests.LatestAsync(kind, null, 50, cancellationToken).ConfigureAwait(false))
                .Where(d => d.DeliveredAt is null && d.CreatedAt >= now - PendingWindow)
                .OrderBy(d => d.PeriodStart);
            foreach (var digest in pending)
            {
                if (await SendAsync(new DeliveryMessage(DigestStore.KindName(kind), digest.Handle, digest.Agent, digest.Text), failures, cancellationToken).ConfigureAwait(false))
                {
                    await digests.MarkDeliveredAsync(digest.Id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                    sent++;
                }
            }
        }

        if (Wants("signals"))
        {
            var pending = (await signals.ListAsync(now - PendingWindow, null, null, 200, cancellationToken).ConfigureAwait(false))
                .Where(s => s.DeliveredAt is null)
                .OrderBy(s => s.FirstSeen);
            foreach (var signal in pending)
            {
                var text = $"**Mnemo signal ({signal.Severity})**\n{signal.Title}\nEvidence: {ExtractiveSummarizer.Cite(signal.Evidence.Take(5))}";
                if (await SendAsync(new DeliveryMessage("signal", signal.Handle, signal.Agents.Count == 1 ? signal.Agents[0] : null, text), failures, cancellationToken).ConfigureAwait(false))
                {
                    await signals.MarkDeliveredAsync(signal.Id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                    sent++;
                }
            }
        }

        if (Wants("context"))
        {
            foreach (var notice in await notices.PendingAsync(now - PendingWindow, cancellationToken).ConfigureAwait(false))
            {
                if (await SendAsync(new DeliveryMessage("context", notice.Handle, notice.Agent, notice.Text), failures, cancellationToken).ConfigureAwait(false))
                {
                    await notices.MarkDeliveredAsync(notice.Id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                    sent++;
                }
            }
        }

        if (failures.Count > 0)
        {
            throw new DeliveryException($"{failures.Count} deliveries failed (they will be retried): {string.Join("; ", failures.Distinct().Take(3))}");
        }

        return sent;
    }

    private bool Wants(string kind) => options.DeliveredKinds.Any(k => string.Equals(k, kind, StringComparison.OrdinalIgnoreCase));

    private async Task<bool> SendAsync(DeliveryMessage message, List<string> failures, CancellationToken cancellationToken)
    {
        var delivered = false;
        foreach (var channel in channels)
        {
            try
            {
                await channel.DeliverAsync(message, cancellationToken).ConfigureAwait(false);
                delivered = true;
                Log.Delivered(logger, message.Handle, channel.Name);
            }
            catch (HttpRequestException ex)
            {
                failures.Add($"{channel.Name}: {ex.Message}");
                Log.Failed(logger, message.Handle, channel.Name, ex.Message);
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failures.Add($"{channel.Name}: timed out");
                Log.Failed(logger, message.Handle, channel.Name, "timed out");
            }
        }

        return delivered;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "delivered {Handle} through {Channel}")]
        public static partial void Delivered(ILogger logger, string handle, string channel);

        [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "delivering {Handle} through {Channel} failed: {Reason}")]
        public static partial void Failed(ILogger logger, string handle, string channel, string reason);
    }
}

/// <summary>Some digest or signal could not be delivered.</summary>
public sealed class DeliveryException : Exception
{
    public DeliveryException()
    {
    }

    public DeliveryException(string message)
        : base(message)
    {
    }

    public DeliveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
