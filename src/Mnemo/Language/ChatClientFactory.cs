using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Anthropic.Core;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Mnemo.Language;

/// <summary>Creates the provider's <see cref="IChatClient"/> from the config; retries are left to <see cref="LanguageModel"/>.</summary>
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
        return options.Provider switch
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
    }
}
