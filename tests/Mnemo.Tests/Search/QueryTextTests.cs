using Mnemo.Search;

namespace Mnemo.Tests.Search;

public sealed class QueryTextTests
{
    [Fact]
    public void ToFtsExpression_Question_KeepsContentWordsAndIdentifiers()
    {
        Assert.Equal("\"ticket\" OR \"number\" OR \"abc-123\"", QueryText.ToFtsExpression("What did I say my ticket number was? ABC-123"));
    }

    [Fact]
    public void ToFtsExpression_QuotesAndOperators_CannotBreakOutOfTheirPhrase()
    {
        var expression = QueryText.ToFtsExpression("he said \"NEAR\" OR * col:umn x\"y");

        Assert.Equal("\"near\" OR \"col:umn\" OR \"x\"\"y\"", expression);
    }

    [Theory]
    [InlineData("What is Caroline's job?")]
    [InlineData("What is Caroline’s job?")]
    public void Terms_Possessive_IsTheName(string query) => Assert.Equal(["caroline", "job"], QueryText.Terms(query));

    [Fact]
    public void ToFtsExpression_OnlyStopWords_IsEmpty() => Assert.Equal(string.Empty, QueryText.ToFtsExpression("what was it?"));

    [Fact]
    public void Snippet_LongText_CentresOnTheQueryWords()
    {
        var text = new string('a', 500) + " the ticket is ABC-123 " + new string('b', 500);

        var snippet = QueryText.Snippet(text, ["ticket"], 100);

        Assert.Contains("ticket", snippet, StringComparison.Ordinal);
        Assert.True(snippet.Length <= 102);
    }
}
