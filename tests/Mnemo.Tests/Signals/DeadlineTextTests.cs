using Mnemo.Signals;

namespace Mnemo.Tests.Signals;

public sealed class DeadlineTextTests
{
    /// <summary>Wednesday 2026-11-25, 10:00.</summary>
    private static readonly DateTimeOffset Wednesday = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("Send it by Friday.", "2026-11-27")]
    [InlineData("Finish this by Wednesday please.", "2026-11-25")]
    [InlineData("We must ship before next Monday.", "2026-12-07")]
    [InlineData("I need it by tomorrow.", "2026-11-26")]
    [InlineData("Have it done by EOD.", "2026-11-25")]
    [InlineData("Deadline is December 3.", "2026-12-03")]
    [InlineData("It is due on 2027-01-15.", "2027-01-15")]
    [InlineData("Pay no later than the 3rd of March 2027.", "2027-03-03")]
    [InlineData("Renew it by Nov 20.", "2026-11-20")]
    [InlineData("Book it by January 5th.", "2027-01-05")]
    [InlineData("Wrap up by the end of the month.", "2026-11-30")]
    public void FindsTheDueDay(string sentence, string expected) =>
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), DeadlineText.FindDueDate(sentence, Wednesday));

    [Theory]
    [InlineData("We met on Friday.")]
    [InlineData("The flight on December 3 was nice.")]
    [InlineData("Byzantine generals agree.")]
    [InlineData("")]
    public void IgnoresDatesThatAreNotCommitments(string sentence) => Assert.Null(DeadlineText.FindDueDate(sentence, Wednesday));
}
