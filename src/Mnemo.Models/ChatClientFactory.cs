using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Mnemo.Language;

/// <summary>
/// Creates the provider's <see cref="IChatClient"/> from the config; retries are left to
/// <see cref="LanguageModel"/>, which learns whether a failure is worth another try from the
/// <see cref="ModelProviderException"/> each SDK's exceptions become here.
/// </summary>
public static class ChatClientFactory
{
    /// <summary>The client for the configured provider, or null when none is configured.</summary>
    public static IChatClient? Create(LanguageModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!options.IsConfigured)
        {
            return null;
        }

        // The SDKs' own timeouts sit just above the per-attempt timeout Polly enforces.
        var sdkTimeout = options.Timeout + TimeSpan.FromSeconds(5);
        IChatClient client = options.Provider switch
        {
            "openai" => new OpenAIClient(
                    // Local servers (Ollama, llama.cpp) take any key, but the SDK refuses an empty one.
                    new ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? "none" : options.ApiKey),
                    new OpenAIClientOptions
                    {
                        Endpoint = string.IsNullOrWhiteSpace(options.Endpoint) ? null : new Uri(options.Endpoint),
                        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                        NetworkTimeout = sdkTimeout,
                    })
                .GetChatClient(options.Model)
                .AsIChatClient(),
            _ => new AnthropicClient(new ClientOptions
            {
                // The SDK appends /v1/messages itself.
                BaseUrl = string.IsNullOrWhiteSpace(options.Endpoint) ? "https://api.anthropic.com" : options.Endpoint.TrimEnd('/'),
                ApiKey = options.ApiKey ?? string.Empty,
                // The SDK sends the key as a bearer token; Anthropic's API reads x-api-key.
                ExtraHeaders = new Dictionary<string, string> { ["x-api-key"] = options.ApiKey ?? string.Empty },
                MaxRetries = 0,
                Timeout = sdkTimeout,
            })
                .AsIChatClient(options.Model, options.MaxOutputTokens),
        };
        return new ProviderErrors(client);
    }

    /// <summary>What an SDK's exception says about the call, or null for one that is not the provider's answer.</summary>
    internal static ModelProviderException? Translate(Exception exception) => exception switch
    {
        ClientResultException result => new($"{result.GetType().Name}: {result.Message}", result.Status == 0 ? null : result.Status, result),
        AnthropicApiException api => new($"{api.GetType().Name}: {api.Message}", (int)api.StatusCode, api),
        AnthropicIOException io => new($"{io.GetType().Name}: {io.Message}", null, io),
        _ => null,
    };

    /// <summary>Turns the SDKs' exceptions into <see cref="ModelProviderException"/> (Mnemo asks for whole replies, not streams).</summary>
    private sealed class ProviderErrors(IChatClient inner) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            try
            {
                return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (Translate(ex) is { } translated)
            {
                throw translated;
            }
        }
    }
}
