using CsCheck;
using Mnemo.Retention;

namespace Mnemo.Tests.Retention;

public sealed class SalientTextTests
{
    [Theory]
    [InlineData("My ticket is ABC-123, please check.", "ABC-123")]
    [InlineData("Incident INC0012345 was opened", "INC0012345")]
    [InlineData("See https://example.org/a/b?c=1 for details.", "https://example.org/a/b?c=1")]
    [InlineData("The config lives in ~/projects/mnemo/config.json now", "~/projects/mnemo/config.json")]
    [InlineData("Mail me at ana.silva@example.com tomorrow", "ana.silva@example.com")]
    [InlineData("The invoice was $1,240.50 in total", "$1,240.50")]
    [InlineData("It costs 300 EUR per night", "300 EUR")]
    [InlineData("The deadline is 2026-12-03.", "2026-12-03")]
    [InlineData("We fly out on March 3rd, 2027", "March 3rd, 2027")]
    [InlineData("Call me back at +351 912 345 678 please", "+351 912 345 678")]
    [InlineData("I met with Maria Lopez about it", "Maria Lopez")]
    public void Identifiers_FindsExactIdentifiers(string text, string expected) =>
        Assert.Contains(expected, SalientText.Identifiers(text));

    [Theory]
    [InlineData("I prefer short answers in the morning.", "user", SalientKind.Preference)]
    [InlineData("Please always answer in metric units.", "user", SalientKind.Preference)]
    [InlineData("We decided to go with the Lisbon office.", "user", SalientKind.Decision)]
    [InlineData("TODO: renew the passport before June.", "user", SalientKind.Request)]
    [InlineData("Can you remind me to call the bank tomorrow?", "user", SalientKind.Request)]
    [InlineData("I'll send the draft tonight.", "assistant", SalientKind.Request)]
    public void Extract_FindsTheKind(string text, string role, SalientKind expected)
    {
        var sentence = Assert.Single(SalientText.Extract(text, role));
        Assert.True(sentence.Kind.HasFlag(expected), $"{sentence.Kind}");
    }

    [Fact]
    public void Extract_SmallTalk_FindsNothing() =>
        Assert.Empty(SalientText.Extract("Tomatoes do like sun. That is nice.", "user"));

    [Fact]
    public void Extract_AssistantPreferenceWords_AreNotTheUsersPreferences() =>
        Assert.DoesNotContain(SalientText.Extract("I prefer to answer briefly.", "assistant"), s => s.Kind.HasFlag(SalientKind.Preference));

    [Fact]
    public void Sentences_KeepsVersionNumbersAndSplitsAtSentenceEnds()
    {
        var sentences = SalientText.Sentences("Upgrade to v2.1 today. Then restart!\n- bullet item").ToList();
        Assert.Equal(["Upgrade to v2.1 today.", "Then restart!", "bullet item"], sentences);
    }

    [Fact]
    public void Extract_AnyText_NeverThrowsAndKeepsSentencesShort() =>
        Gen.String.Sample(text =>
        {
            foreach (var sentence in SalientText.Extract(text, "user"))
            {
                Assert.True(sentence.Text.Length <= SalientText.MaxSentenceChars);
                Assert.NotEqual(SalientKind.None, sentence.Kind);
            }
        });

    [Fact]
    public void Normalize_IsIdempotentAndLowerCase() =>
        Gen.String.Sample(text =>
        {
            var once = SalientText.Normalize(text);
            Assert.Equal(once, SalientText.Normalize(once));
            Assert.Equal(once, once.ToLowerInvariant());
        });
}
