using Mnemo.Search;
using Mnemo.Tests.Support;
using Mnemo.Text;

namespace Mnemo.Tests.Text;

/// <summary>Secrets never reach the store; ordinary identifiers the user wants remembered stay.</summary>
[Collection(EmbedderGroup.Name)]
public sealed class RedactorTests(EmbedderFixture embedder)
{
    private static readonly Redactor Secrets = new(new RedactionOptions());
    private static readonly Redactor WithPii = new(new RedactionOptions { Pii = true });

    [Theory]
    [InlineData("my key is sk-proj-Abc123def456GHI789jkl012MNO345 ok", "sk-proj-Abc123def456GHI789jkl012MNO345")]
    [InlineData("anthropic: sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("token ghp_0123456789abcdefghijABCDEFGHIJ012345 for CI", "ghp_0123456789abcdefghijABCDEFGHIJ012345")]
    [InlineData("AWS AKIAIOSFODNN7EXAMPLE in the env", "AKIAIOSFODNN7EXAMPLE")]
    [InlineData("slack xoxb-123456789012-abcdefghijkl", "xoxb-123456789012-abcdefghijkl")]
    [InlineData("bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1 here", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1")]
    [InlineData("db at postgres://mnemo:hunter2secret@db.local:5432/x", "hunter2secret")]
    [InlineData("password: Tr0ub4dor&3 please", "Tr0ub4dor&3")]
    [InlineData("API_KEY=abcd1234efgh", "abcd1234efgh")]
    [InlineData("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789")]
    [InlineData("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "eyJzdWIiOiIxMjM0NTY3ODkwIn0")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAA")]
    public void Secrets_AreCutOut(string text, string secret)
    {
        var redacted = Secrets.Apply(text);

        Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
        Assert.Contains("[redacted", redacted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("My support ticket is INC-48213 and the refund is $1,240.")]
    [InlineData("I forgot my password, can you help me reset it?")]
    [InlineData("Flight TP1234 leaves at 07:40 on 2026-12-12; call me at +351 912 345 678.")]
    [InlineData("The commit is 9f2c1a7e4b and the branch is feature/sk-tasks.")]
    public void OrdinaryText_IsLeftAlone(string text) => Assert.Same(text, Secrets.Apply(text));

    [Fact]
    public void PersonalData_IsCutOnlyWhenAskedFor()
    {
        const string text = "Write to ana.silva@example.org or call +351 912 345 678 about INC-48213.";

        var redacted = WithPii.Apply(text);

        Assert.Equal(text, Secrets.Apply(text));
        Assert.Equal("Write to [redacted email] or call [redacted phone] about INC-48213.", redacted);
    }

    [Fact]
    public async Task Ingest_StoresTheTurnWithoutItsSecret_AndSearchStillFindsTheTurn()
    {
        using var dir = new TempDirectory();
        await using var engine = await EngineFactory.OpenAsync(dir.Path, embedder);
        await new Chat()
            .Say("main", "s1", "user", "The staging database is postgres://app:S3cretPassw0rd@db-staging-2:5432/billing and the OpenAI key is sk-proj-Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1.", DateTimeOffset.UtcNow)
            .IngestAsync(engine);

        var hit = Assert.Single(await engine.SearchAsync(new SearchRequest("staging database billing", 5)));

        Assert.Contains("db-staging-2", hit.Memory.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cretPassw0rd", hit.Memory.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-proj-Zz9Yy8", hit.Memory.Text, StringComparison.Ordinal);
        Assert.Contains("[redacted]@db-staging-2", hit.Memory.Text, StringComparison.Ordinal);
        foreach (var file in new[] { engine.Options.DatabasePath, engine.Options.DatabasePath + "-wal" }.Where(File.Exists))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, System.Text.Encoding.Latin1);
            var raw = await reader.ReadToEndAsync();
            Assert.DoesNotContain("S3cretPassw0rd", raw, StringComparison.Ordinal);
            Assert.DoesNotContain("Zz9Yy8Xx7Ww6", raw, StringComparison.Ordinal);
        }
    }
}
