using Mnemo.Search;

namespace Mnemo.Tests.Search;

public sealed class QueryTimeTests
{
    private static readonly DateTimeOffset Asked = new(2023, 6, 14, 18, 30, 0, TimeSpan.Zero); // a Wednesday

    [Theory]
    [InlineData("What did Tim watch on 8th December, 2023?", "2023-12-08")]
    [InlineData("What did Maria start on 3 June, 2023?", "2023-06-03")]
    [InlineData("Where was James at on July 12, 2022?", "2022-07-12")]
    [InlineData("what happened on 2024-02-29", "2024-02-29")]
    [InlineData("what did we decide on the 1st of March 2021", "2021-03-01")]
    public void Windows_ADay_IsThatDayWithAFewDaysOfSlack(string query, string day)
    {
        var window = Assert.Single(QueryTime.Windows(query, Asked));

        var date = DateTimeOffset.Parse(day, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(window.Start < date && window.Start >= date.AddDays(-1), $"start {window.Start:O}");
        Assert.True(window.End > date.AddDays(1) && window.End <= date.AddDays(4), $"end {window.End:O}");
    }

    [Fact]
    public void Windows_AMonth_CoversTheMonthAndTheDaysAfterIt()
    {
        var window = Assert.Single(QueryTime.Windows("Which tournament did Nate win at the beginning of November 2022?", Asked));

        Assert.Equal("November 2022", window.Expression);
        Assert.True(window.Start <= new DateTimeOffset(2022, 11, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.True(window.End > new DateTimeOffset(2022, 12, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.True(window.End < new DateTimeOffset(2022, 12, 31, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Windows_AYearAfterAPreposition_IsThatYear()
    {
        var window = Assert.Single(QueryTime.Windows("What happened to John's job situation in 2022?", Asked));

        Assert.True(window.Start <= new DateTimeOffset(2022, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.True(window.End >= new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("what did I cook yesterday", "2023-06-13", "2023-06-14")]
    [InlineData("the film we saw last Saturday", "2023-06-10", "2023-06-11")]
    [InlineData("what did I buy two weeks ago", "2023-05-24", "2023-06-07")]
    [InlineData("what did I say 3 days ago", "2023-06-11", "2023-06-12")]
    public void Windows_RelativeExpressions_CountBackFromWhenTheQuestionIsAsked(string query, string from, string to)
    {
        var window = Assert.Single(QueryTime.Windows(query, Asked));

        var start = DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(window.Start <= start && window.Start >= start.AddDays(-2), $"start {window.Start:O}");
        Assert.True(window.End >= end && window.End <= end.AddDays(3), $"end {window.End:O}");
    }

    [Theory]
    [InlineData("what is my ticket number")]
    [InlineData("May I ask what you painted?")]
    [InlineData("the 2022 model of the car")]
    [InlineData("I have 12 June bugs")]
    public void Windows_NoDateNamed_IsEmpty(string query) => Assert.Empty(QueryTime.Windows(query, Asked));

    [Fact]
    public void Windows_ADateInsideAMonthExpression_IsReadOnce()
    {
        var windows = QueryTime.Windows("on 3 June, 2023 and in July 2023", Asked);

        Assert.Equal(2, windows.Count);
        Assert.Equal("3 June, 2023", windows[0].Expression);
        Assert.Equal("July 2023", windows[1].Expression);
    }

    [Theory]
    [InlineData("When did Caroline go to the support group?", true)]
    [InlineData("How long has Nate had his turtles?", true)]
    [InlineData("What year did John start surfing?", true)]
    [InlineData("What did Caroline paint?", false)]
    [InlineData("Who did John meet when he was in Paris?", false)]
    public void AsksWhen_RecognizesQuestionsAboutTime(string query, bool expected) => Assert.Equal(expected, AnswerText.AsksWhen(query));

    [Theory]
    [InlineData("I went to a support group yesterday", true)]
    [InlineData("Been playing it for a month now", true)]
    [InlineData("I've had them for 3 years now", true)]
    [InlineData("We moved here in 2019", true)]
    [InlineData("Last Friday we had a party", true)]
    [InlineData("I love painting sunsets", false)]
    [InlineData("You may like it", false)]
    public void SaysWhen_RecognizesTextThatPlacesSomethingInTime(string text, bool expected) => Assert.Equal(expected, AnswerText.SaysWhen(text));
}
