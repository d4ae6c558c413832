using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Mnemo.Language;
using Mnemo.Storage;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Language;

/// <summary>Three-pass prompting and the resilient model client, over real HTTP to a loopback model.</summary>
public sealed class ThreePassTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new();
    private SqliteMemoryStore _store = null!;
    private FakeChatServer _server = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteMemoryStore.OpenAsync(_dir.File("m.db"), TimeProvider.System, CancellationToken.None);
        _server = await FakeChatServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _store.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();

    private LanguageModel Model(string provider = "openai", Action<LanguageModelOptions>? configure = null)
    {
        var options = new LanguageModelOptions
        {
            Provider = provider,
            Endpoint = provider == "openai" ? _server.OpenAiEndpoint : _server.AnthropicEndpoint,
            Model = "fake-model",
            ApiKey = "sk-test-secret",
            RetryDelay = TimeSpan.FromMilliseconds(10),
            InputCostPerMillion = 3m,
            OutputCostPerMillion = 15m,
        };
        configure?.Invoke(options);
        return new LanguageModel(ChatClientFactory.Create(options), options, new LlmCallStore(_store), TimeProvider.System, NullLogger<LanguageModel>.Instance);
    }

    private static readonly PromptSource[] Sources =
    [
        new(11, "user in main, 2026-11-25 09:00 UTC", "We decided to move billing to PostgreSQL 16. It runs on the new cluster."),
        new(12, "assistant in main, 2026-11-25 09:05 UTC", "Noted."),
        new(13, "user in main, 2026-11-25 09:10 UTC", "Ticket BILL-4521 must be closed by Friday. The auditors are waiting."),
    ];

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task ThreePass_CritiquePointsReachTheRefinedText_AndEveryPassIsStored(string provider)
    {
        using var model = Model(provider);
        var prompter = new ThreePassPrompter(model, new PromptRunStore(_store), TimeProvider.System);

        var run = await prompter.RunAsync(new ThreePassRequest("test", "Summarize the morning.", Sources), CancellationToken.None);

        Assert.Equal("succeeded", run.Outcome);
        Assert.Equal(["draft", "critique", "refine"], run.Passes.Select(p => p.Name));
        Assert.DoesNotContain("BILL-4521", run.Draft, StringComparison.Ordinal);
        Assert.Contains("BILL-4521", run.Critique, StringComparison.Ordinal);
        Assert.Contains("Ticket BILL-4521 must be closed by Friday. [m13]", run.Refined, StringComparison.Ordinal);
        Assert.Contains("PostgreSQL 16", run.Refined, StringComparison.Ordinal);
        var requests = _server.Requests.ToList();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(provider, r.Protocol));
        Assert.StartsWith("You review a draft", requests[1].System, StringComparison.Ordinal);
        Assert.Contains(run.Draft!, requests[1].User, StringComparison.Ordinal);
        Assert.Contains(run.Critique!, requests[2].User, StringComparison.Ordinal);
        Assert.All(run.Passes, p => Assert.True(p.InputTokens > 0 && p.OutputTokens > 0));
        Assert.All(run.Passes, p => Assert.Contains("[system]", p.Prompt, StringComparison.Ordinal));
        var stored = await new PromptRunStore(_store).GetAsync(run.Id, CancellationToken.None);
        Assert.Equal(run.Refined, stored!.Result);
        Assert.Equal([11L, 12L, 13L], stored.SourceIds);
        if (provider == "anthropic")
        {
            Assert.All(requests, r => Assert.Equal("sk-test-secret", r.ApiKeyHeader));
        }
        else
        {
            Assert.All(requests, r => Assert.Equal("Bearer sk-test-secret", r.Authorization));
        }
    }

    [Fact]
    public async Task Calls_AreRecordedWithTokensCostAndLatency_NeverText()
    {
        using var model = Model();
        _server.Reply = (_, _) => "fine";
        await model.CompleteAsync("test/one", [new ChatMessage(ChatRole.User, "say something private")], CancellationToken.None);
        var calls = await new LlmCallStore(_store).ListAsync(DateTimeOffset.UnixEpoch, 10, CancellationToken.None);
        var usage = await new LlmCallStore(_store).UsageAsync(DateTimeOffset.UnixEpoch, CancellationToken.None);

        var call = Assert.Single(calls);
        Assert.Equal("test/one", call.Purpose);
        Assert.Equal("openai", call.Provider);
        Assert.True(call.InputTokens > 0);
        Assert.True(call.Cost > 0);
        Assert.True(call.Succeeded);
        Assert.Equal(1, usage.Calls);
        Assert.Equal(call.InputTokens, usage.InputTokens);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task TransientFailures_AreRetried(string provider)
    {
        using var model = Model(provider, o => o.MaxRetries = 3);
        _server.FailNext(2);

        var reply = await model.CompleteAsync("test/retry", [new ChatMessage(ChatRole.System, "You are Mnemo"), new ChatMessage(ChatRole.User, "<source id=\"m1\" from=\"x\">\nHello there.\n</source>")], CancellationToken.None);

        Assert.Equal(3, _server.Requests.Count);
        Assert.Contains("Hello there.", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeadEndpoint_OpensTheCircuit_AndLaterCallsFailFastWithoutReachingIt()
    {
        using var model = Model(configure: o =>
        {
            o.MaxRetries = 0;
            o.CircuitBreakAfter = 2;
            o.CircuitBreakFor = TimeSpan.FromMinutes(5);
        });
        _server.FailNext(1000);
        ChatMessage[] messages = [new(ChatRole.User, "hi")];

        await Assert.ThrowsAsync<LanguageModelException>(() => model.CompleteAsync("test/a", messages, CancellationToken.None));
        await Assert.ThrowsAsync<LanguageModelException>(() => model.CompleteAsync("test/b", messages, CancellationToken.None));
        var third = await Assert.ThrowsAsync<LanguageModelException>(() => model.CompleteAsync("test/c", messages, CancellationToken.None));

        Assert.Equal(2, _server.Requests.Count);
        Assert.Contains("circuit is open", third.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-test-secret", third.Message, StringComparison.Ordinal);
        var calls = await new LlmCallStore(_store).ListAsync(DateTimeOffset.UnixEpoch, 10, CancellationToken.None);
        Assert.Equal(3, calls.Count);
        Assert.All(calls, c => Assert.False(c.Succeeded));
    }

    [Fact]
    public async Task NoModel_IsANormalState_ThatSaysHowToConfigureOne()
    {
        var options = new LanguageModelOptions();
        using var model = new LanguageModel(ChatClientFactory.Create(options), options, new LlmCallStore(_store), TimeProvider.System, NullLogger<LanguageModel>.Instance);

        Assert.False(model.IsConfigured);
        var error = await Assert.ThrowsAsync<LanguageModelException>(() => model.CompleteAsync("x", [new ChatMessage(ChatRole.User, "hi")], CancellationToken.None));
        Assert.Contains("Model:Provider", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gemini", null, "Model:Provider")]
    [InlineData("openai", null, "Model:Model")]
    [InlineData("openai", "ftp://x", "Model:Endpoint")]
    public void BadModelConfig_NamesTheSetting(string provider, string? endpoint, string setting)
    {
        var options = new LanguageModelOptions { Provider = provider, Model = endpoint is null && setting == "Model:Model" ? null : "m", Endpoint = endpoint };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }
}
