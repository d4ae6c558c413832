using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mnemo.Voice.Queue;

/// <summary>
/// The voice queue keeps up: degraded when a note has waited over an hour or more than a fifth of
/// the last day's notes failed (of at least five).
/// </summary>
public sealed class VoiceHealthCheck(VoiceJobStore jobs, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var (queued, oldest, done, failed) = await jobs.HealthAsync(now - TimeSpan.FromDays(1), cancellationToken).ConfigureAwait(false);
        var text = string.Create(CultureInfo.InvariantCulture, $"{queued} waiting{(oldest is { } o ? $" (oldest {(now - o).TotalMinutes:F0} min)" : string.Empty)}; last 24 h: {done} transcribed, {failed} failed");
        if (oldest is { } since && now - since > TimeSpan.FromHours(1))
        {
            return HealthCheckResult.Degraded($"voice notes are waiting too long: {text}");
        }

        return done + failed >= 5 && failed * 5 > done + failed ? HealthCheckResult.Degraded($"many voice notes fail: {text}") : HealthCheckResult.Healthy(text);
    }
}
