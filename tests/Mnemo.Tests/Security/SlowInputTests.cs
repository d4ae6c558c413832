using Mnemo.Text;

namespace Mnemo.Tests.Security;

/// <summary>
/// Texts built to make pattern matching slow (unclosed openers, long runs) are handled in time
/// linear in their length. The redactor's own match timeout is the measure: text it could not
/// check in time would be withheld, so a result that is not withheld finished within it.
/// </summary>
public sealed class SlowInputTests
{
    private const int Size = 1_000_000;

    public static TheoryData<string, string> Adversarial() => new()
    {
        { "unclosed key headers", Repeat("-----BEGIN RSA PRIVATE KEY----- x ") },
        { "dotted words, no scheme", Repeat("a.") },
        { "dotted words, no domain", Repeat("a.") + "@" },
        { "a run of digits", new string('1', Size) + "a" },
        { "spaced digits", Repeat("1 ") + "a" },
        { "assignments without values", Repeat("password= ") },
        { "bearer without token", Repeat("Bearer ") },
    };

    [Theory]
    [MemberData(nameof(Adversarial))]
    public void Redactor_AdversarialText_IsCheckedNotWithheld(string kind, string text)
    {
        var redacted = new Redactor(new RedactionOptions { Secrets = true, Pii = true }).Apply(text);

        Assert.False(redacted.StartsWith("[text withheld", StringComparison.Ordinal), kind);
    }

    [Fact]
    public void Redactor_StillFindsWhatItLooksFor_AfterTheEngineChange()
    {
        var redactor = new Redactor(new RedactionOptions { Secrets = true, Pii = true });

        Assert.Equal("call [redacted phone] or mail [redacted email]", redactor.Apply("call +351 912 345 678 or mail ana@example.org"));
        Assert.Equal("order 12345678901234567890123456789 shipped", redactor.Apply("order 12345678901234567890123456789 shipped"));
        Assert.Equal("ticket INC-48213-99887766 open", redactor.Apply("ticket INC-48213-99887766 open"));
        Assert.Equal("[redacted private key] after", redactor.Apply("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY----- after"));
    }

    [Fact]
    public async Task Envelope_UnclosedWrappersAndMetadataBlocks_AreParsedInLinearTime()
    {
        var unclosed = "<<<EXTERNAL_UNTRUSTED_CONTENT id=\"x\">>>\n" + Repeat("<<<EXTERNAL_UNTRUSTED_CONTENT id=\"y\">>> words ");
        var metadata = Repeat("Sender (untrusted metadata):\n```json\n{\"a\":1}\n");

        // Linear parsing takes well under a second for each; the quadratic one took seconds per
        // million characters and minutes for a few million. The bound only catches a hang.
        var first = await Task.Run(() => OpenClawEnvelope.Strip(unclosed)).WaitAsync(TimeSpan.FromSeconds(30));
        var second = await Task.Run(() => OpenClawEnvelope.Strip(metadata + metadata + metadata + metadata)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(first.Untrusted);
        Assert.StartsWith("<<<EXTERNAL_UNTRUSTED_CONTENT id=\"y\">>> words", first.Text, StringComparison.Ordinal);
        Assert.False(second.Skip);
    }

    private static string Repeat(string part) => string.Concat(Enumerable.Repeat(part, Size / part.Length));
}
