using System.Diagnostics;

namespace Mnemo.Tests.Support;

/// <summary>
/// Waits for something that runs beside the test (a server, a feed, a scheduler) to make a condition
/// true, checking it every <c>every</c>; fails with <c>failure</c> when it has not held within the limit.
/// </summary>
internal static class Eventually
{
    public static Task HoldsAsync(Func<bool> condition, string failure = "the condition did not hold in time", TimeSpan? within = null, TimeSpan? every = null) =>
        HoldsAsync(() => Task.FromResult(condition()), failure, within, every);

    public static async Task HoldsAsync(Func<Task<bool>> condition, string failure = "the condition did not hold in time", TimeSpan? within = null, TimeSpan? every = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(30);
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < limit, $"{failure} (waited {limit.TotalSeconds:F0} s)");
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(100));
        }
    }
}
