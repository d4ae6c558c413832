using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Mnemo.Language;

/// <summary>
/// The configured chat model behind Polly: a timeout per attempt, retries with exponential backoff
/// for transient failures, and a circuit breaker so a dead endpoint fails fast. Every call is
/// recorded with its tokens, cost and latency (never its text).
/// </summary>
public sealed partial class LanguageModel : IDisposable
{
    private readonly IChatClient? _client;
    private readonly LanguageModelOptions _options;
    private readonly LlmCallStore _calls;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;

    /// <param name="client">The provider's client; null when no model is configured.</param>
    public LanguageModel(IChatClient? client, LanguageModelOptions options, LlmCallStore calls, TimeProvider time, ILogger<LanguageModel> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options;
        _calls = calls;
        _time = time;
        _logger = logger;
        // A cancellation the caller did not ask for is the SDK's own network timeout: transient.
        static ValueTask<bool> Transient(Outcome<object> outcome, CancellationToken callerToken) => ValueTask.FromResult(
            outcome.Exception is { } ex && (IsTransient(ex) || (ex is OperationCanceledException && !callerToken.IsCancellationRequested)));
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxRetries > 0)
        {
            pipeline.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => Transient(args.Outcome, args.Context.CancellationToken),
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }

        _pipeline = pipeline
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = args => Transient(args.Outcome, args.Context.CancellationToken),
                FailureRatio = 1.0,
                MinimumThroughput = options.CircuitBreakAfter,
                SamplingDuration = TimeSpan.FromTicks(Math.Max(options.CircuitBreakFor.Ticks, TimeSpan.FromSeconds(1).Ticks) * 5),
                BreakDuration = options.CircuitBreakFor < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : options.CircuitBreakFor,
            })
            .AddTimeout(options.Timeout)
            .Build();
    }

    /// <summary>False when no provider is configured: callers use their extractive path.</summary>
    public bool IsConfigured => _client is not null;

    public string Provider => _options.Provider;

    /// <summary>Sends the messages and returns the reply text with its usage.</summary>
    /// <param name="purpose">What the call is for (recorded): <c>digest.hourly/draft</c>, ...</param>
    /// <exception cref="LanguageModelException">The call failed after retries, or the circuit is open.</exception>
    public async Task<ModelReply> CompleteAsync(string purpose, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(purpose);
        ArgumentNullException.ThrowIfNull(messages);
        if (_client is null)
        {
            throw new LanguageModelException("no language model is configured (Model:Provider is none)");
        }

        var options = new ChatOptions { MaxOutputTokens = _options.MaxOutputTokens, Temperature = _options.Temperature, ModelId = _options.Model };
        var started = Stopwatch.GetTimestamp();
        var at = _time.GetUtcNow();
        try
        {
            var response = await _pipeline.ExecuteAsync(
                async token => await _client.GetResponseAsync(messages, options, token).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            var latency = Stopwatch.GetElapsedTime(started);
            var input = response.Usage?.InputTokenCount;
            var output = response.Usage?.OutputTokenCount;
            await _calls.RecordAsync(new LlmCall(at, purpose, _options.Provider, response.ModelId ?? _options.Model, input, output, Cost(input, output), latency, true, null), CancellationToken.None).ConfigureAwait(false);
            Telemetry.ModelTokens.Add(input ?? 0, new("provider", _options.Provider), new("direction", "input"));
            Telemetry.ModelTokens.Add(output ?? 0, new("provider", _options.Provider), new("direction", "output"));
            Log.Called(_logger, purpose, _options.Provider, input, output, (long)latency.TotalMilliseconds);
            return new ModelReply(response.Text, input, output, latency, response.ModelId ?? _options.Model);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var latency = Stopwatch.GetElapsedTime(started);
            var reason = ex switch
            {
                BrokenCircuitException => $"the circuit is open after {_options.CircuitBreakAfter} failed calls; calls resume after {_options.CircuitBreakFor}",
                TimeoutRejectedException => $"no reply within {_options.Timeout}",
                ModelProviderException provider => provider.Message,
                _ => $"{ex.GetType().Name}: {ex.Message}",
            };
            await _calls.RecordAsync(new LlmCall(at, purpose, _options.Provider, _options.Model, null, null, null, latency, false, reason), CancellationToken.None).ConfigureAwait(false);
            Log.Failed(_logger, purpose, _options.Provider, reason);
            throw new LanguageModelException($"the {_options.Provider} model ({_options.Model} at {EndpointName()}) failed: {reason}", ex);
        }
    }

    public void Dispose() => _client?.Dispose();

    /// <summary>Connection failures, timeouts, 408, 429 and 5xx are worth another try; a 4xx is not.</summary>
    internal static bool IsTransient(Exception exception) => exception switch
    {
        OperationCanceledException => false,
        TimeoutRejectedException => true,
        HttpRequestException http => http.StatusCode is null || IsTransientStatus((int)http.StatusCode),
        ModelProviderException provider => provider.Status is not { } status || IsTransientStatus(status),
        IOException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };

    private static bool IsTransientStatus(int status) => status is 0 or (int)HttpStatusCode.RequestTimeout or 429 or >= 500;

    private decimal? Cost(long? input, long? output) =>
        _options.InputCostPerMillion == 0 && _options.OutputCostPerMillion == 0
            ? null
            : (((input ?? 0) * _options.InputCostPerMillion) + ((output ?? 0) * _options.OutputCostPerMillion)) / 1_000_000m;

    private string EndpointName() => string.IsNullOrWhiteSpace(_options.Endpoint) ? "the provider's default endpoint" : _options.Endpoint;

    private static partial class Log
    {
        [LoggerMessage(EventId = 500, Level = LogLevel.Debug, Message = "model call {Purpose} via {Provider}: {InputTokens} in, {OutputTokens} out, {Milliseconds} ms")]
        public static partial void Called(ILogger logger, string purpose, string provider, long? inputTokens, long? outputTokens, long milliseconds);

        [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "model call {Purpose} via {Provider} failed: {Reason}")]
        public static partial void Failed(ILogger logger, string purpose, string provider, string reason);
    }
}
