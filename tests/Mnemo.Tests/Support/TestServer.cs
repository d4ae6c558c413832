using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mnemo.Server.Hosting;

namespace Mnemo.Tests.Support;

/// <summary>The real <c>mnemo serve</c> host, in process, on a free loopback port.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, MnemoSettings settings, Uri address)
    {
        _app = app;
        Settings = settings;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Server.Token);
        Anonymous = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public MnemoSettings Settings { get; }

    public Uri Address { get; }

    /// <summary>Sends the token.</summary>
    public HttpClient Client { get; }

    /// <summary>Sends no token.</summary>
    public HttpClient Anonymous { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestServer> StartAsync(string dataDirectory, EmbedderFixture embedder, IReadOnlyDictionary<string, string?>? overrides = null, TimeProvider? time = null, Action<IServiceCollection>? configure = null)
    {
        var settings = MnemoSettings.Load(dataDirectory, new Dictionary<string, string?>(overrides ?? new Dictionary<string, string?>())
        {
            ["Server:Urls"] = "http://127.0.0.1:0",
            ["OpenClaw:Follow"] = overrides?.ContainsKey("OpenClaw:StateDirectory") == true ? "true" : "false",
            // Jobs run when a test asks (POST /v1/jobs/{name}/run), not when the wall clock says.
            ["Schedule:Enabled"] = overrides?.TryGetValue("Schedule:Enabled", out var enabled) == true ? enabled : "false",
            // Nor does it watch voice folders (the default OpenClaw folder would be the real ~/.openclaw).
            ["Voice:Watch"] = overrides?.TryGetValue("Voice:Watch", out var watch) == true ? watch : "false",
        });
        var app = MnemoServer.Build(settings, LogLevel.Warning, services =>
        {
            services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(embedder.Embedder);
            if (time is not null)
            {
                services.AddSingleton(time);
            }

            configure?.Invoke(services);
        });
        await app.StartAsync();
        return new TestServer(app, settings, new Uri(app.Urls.Single()));
    }

    /// <summary>An MCP client of this server's <c>/mcp</c> endpoint (streamable HTTP, with the token), through the SDK's own client.</summary>
    public async Task<ModelContextProtocol.Client.McpClient> McpClientAsync()
    {
        var transport = new ModelContextProtocol.Client.HttpClientTransport(new ModelContextProtocol.Client.HttpClientTransportOptions
        {
            Endpoint = new Uri(Address, "/mcp"),
            TransportMode = ModelContextProtocol.Client.HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {Settings.Server.Token}" },
        });
        return await ModelContextProtocol.Client.McpClient.CreateAsync(transport);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
