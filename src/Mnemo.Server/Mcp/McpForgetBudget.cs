using System.Threading.RateLimiting;

namespace Mnemo.Server.Mcp;

/// <summary>
/// How much the agent-callable <c>forget</c> tool may delete: at most <see cref="PerHour"/>
/// memories in any hour (a sliding window), whatever the calls. An agent that a forged message
/// turned against its user cannot empty memory in a loop; the user can still forget anything from
/// the dashboard or with <c>mnemo forget</c>, which this does not limit. Chosen over a
/// confirmation (a hijacked agent confirms too) and over soft deletion (forgetting must remove the
/// text, or it is not forgetting).
/// </summary>
public sealed class McpForgetBudget : IDisposable
{
    public const int PerHour = 50;

    private readonly SlidingWindowRateLimiter _limiter = new(new SlidingWindowRateLimiterOptions
    {
        PermitLimit = PerHour,
        Window = TimeSpan.FromHours(1),
        SegmentsPerWindow = 12,
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    /// <summary>Takes <paramref name="memories"/> from the hour's budget; false (and nothing taken) when they do not fit.</summary>
    public bool TryTake(int memories)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memories);
        using var lease = _limiter.AttemptAcquire(memories);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
