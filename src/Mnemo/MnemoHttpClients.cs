using Microsoft.Extensions.DependencyInjection;

namespace Mnemo;

/// <summary>
/// The HTTP clients Mnemo's parts use, by name, with their timeouts and handlers in one place. Hosts
/// register them in their container (<see cref="AddMnemoHttpClients"/>) and hand the
/// <see cref="IHttpClientFactory"/> on, so connections are pooled and handlers recycled by the
/// factory; callers without a container (tests, benchmarks, one-shot commands) take the same
/// configuration from <see cref="Standalone"/>.
/// </summary>
public static class MnemoHttpClients
{
    /// <summary>OpenClaw's webhook (<c>/hooks/agent</c>): 30 s.</summary>
    public const string Hooks = "mnemo.openclaw-hooks";

    /// <summary>Telegram's Bot API: 60 s, longer than a long poll (<c>TelegramFeedbackBot.PollSeconds</c>); sends set a shorter one.</summary>
    public const string Telegram = "mnemo.telegram";

    /// <summary>An OpenAI-compatible embedding endpoint: 60 s.</summary>
    public const string Embeddings = "mnemo.embeddings";

    /// <summary>Model downloads (Whisper): no overall timeout, a download takes as long as it takes.</summary>
    public const string Downloads = "mnemo.downloads";

    /// <summary>A command talking to the <c>mnemo serve</c> of its data directory: gives up connecting after 2 s (no serve running).</summary>
    public const string Serve = "mnemo.serve";

    private static readonly Lazy<IHttpClientFactory> StandaloneFactory = new(() =>
        new ServiceCollection().AddMnemoHttpClients().BuildServiceProvider().GetRequiredService<IHttpClientFactory>());

    /// <summary>The factory for code that has no container; configured like the hosts' one.</summary>
    public static IHttpClientFactory Standalone => StandaloneFactory.Value;

    public static IServiceCollection AddMnemoHttpClients(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        // No request logging: the factory's default handlers log each request's URL at Information,
        // and Telegram's Bot API carries the bot token in the path (secrets never reach the logs).
        services.AddHttpClient(Hooks, http => http.Timeout = TimeSpan.FromSeconds(30)).RemoveAllLoggers();
        services.AddHttpClient(Telegram, http => http.Timeout = TimeSpan.FromSeconds(60)).RemoveAllLoggers();
        services.AddHttpClient(Embeddings, http => http.Timeout = TimeSpan.FromSeconds(60)).RemoveAllLoggers();
        services.AddHttpClient(Downloads, http => http.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        services.AddHttpClient(Serve).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) }).RemoveAllLoggers();
        return services;
    }
}
