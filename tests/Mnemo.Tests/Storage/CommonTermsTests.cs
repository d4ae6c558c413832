using Mnemo.Storage;

namespace Mnemo.Tests.Storage;

public sealed class CommonTermsTests
{
    [Fact]
    public void Keep_InASmallStore_IsNotAsked()
    {
        Assert.False(CommonTerms.Applies(terms: 4, memories: CommonTerms.PruningFrom - 1));
        Assert.False(CommonTerms.Applies(terms: 1, memories: 1_000_000));
        Assert.True(CommonTerms.Applies(terms: 2, memories: CommonTerms.PruningFrom));
    }

    [Fact]
    public void Keep_DropsTermsHeldByMoreThanTheCap_InTheQuerysOrder()
    {
        // 100k memories: the cap is 5,000 memories a term.
        var kept = CommonTerms.Keep([("melanie", 900), ("painting", 40), ("said", 30_000)], 100_000);

        Assert.Equal(["melanie", "painting"], kept);
    }

    [Fact]
    public void Keep_StopsAtTwiceTheCapOfMatchedRows_KeepingTheRarestTerms()
    {
        // Each term alone is under the cap, together they would match 15,500 rows: the most common
        // ones go until the rest match at most 10,000.
        var kept = CommonTerms.Keep([("camping", 4_500), ("family", 4_800), ("trip", 3_900), ("meteor", 300), ("love", 2_000)], 100_000);

        Assert.Equal(["trip", "meteor", "love"], kept);
    }

    [Fact]
    public void Keep_WhenEveryTermIsCommon_ScoresTheRarestAlone()
    {
        var kept = CommonTerms.Keep([("day", 60_000), ("tide", 9_000), ("harbour", 20_000)], 100_000);

        Assert.Equal(["tide"], kept);
    }

    [Fact]
    public void Keep_KeepsTheRarestTerm_EvenWhenItAloneIsAtTheCap()
    {
        var kept = CommonTerms.Keep([("tide", 5_000), ("harbour", 5_000)], 100_000);

        Assert.Equal(["tide", "harbour"], kept);
    }
}
