using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mnemo.Server.Hosting;

namespace Mnemo.Cli;

/// <summary>What a command needs from the command line: options, logging, and Mnemo's parts.</summary>
internal sealed class CliContext(ParseResult parse) : IAsyncDisposable
{
    private ServiceProvider? _services;

    public ParseResult Parse { get; } = parse;

    public bool Json => Parse.GetValue(CommonOptions.Json);

    public bool Verbose => Parse.GetValue(CommonOptions.Verbose);

    public string DataDirectory => MnemoOptions.ResolveDataDirectory(Parse.GetValue(CommonOptions.DataDir));

    /// <summary>Logs go to stderr: stdout carries results (and the MCP protocol in stdio mode).</summary>
    public ILoggerFactory LoggerFactory { get; } = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder
        .SetMinimumLevel(parse.GetValue(CommonOptions.Verbose) ? LogLevel.Debug : LogLevel.Warning)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        }));

    public MnemoOptions Options() => new()
    {
        DataDirectory = DataDirectory,
        Embeddings = EmbeddingOptions.FromEnvironment(),
    };

    /// <summary>
    /// Mnemo's parts composed as <c>mnemo serve</c> composes them (<c>AddMnemo(settings)
    /// .WithConfiguredStore().WithConfiguredEmbeddings().WithWhisper().WithTelegram().WithAutomation()</c>), from the data directory's settings
    /// (config.json, <c>MNEMO_*</c>) unless a command passes its own: a one-shot command stores and
    /// reads as the server does (redaction above all). Built on first use, once per command; the
    /// store opens when the engine is first asked for.
    /// </summary>
    /// <param name="configure">More registrations (the health checks of <c>mnemo health</c>).</param>
    public IServiceProvider Services(MnemoSettings? settings = null, Action<IServiceCollection>? configure = null)
    {
        if (_services is not null)
        {
            return _services;
        }

        settings ??= MnemoSettings.Load(DataDirectory);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(LoggerFactory);
        services.AddMnemo(settings).WithConfiguredStore().WithConfiguredEmbeddings().WithWhisper().WithTelegram().WithAutomation();
        configure?.Invoke(services);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return _services;
    }

    /// <summary>
    /// The memory on the configured store (the data directory's SQLite, or the shared PostgreSQL of
    /// <c>Store:*</c>). The context owns it and closes it when the command ends: callers do not dispose it.
    /// </summary>
    public Task<MemoryEngine> OpenEngineAsync(CancellationToken cancellationToken, MnemoSettings? settings = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.Run(() => Services(settings).GetRequiredService<MemoryEngine>(), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync().ConfigureAwait(false);
        }

        LoggerFactory.Dispose();
    }
}
