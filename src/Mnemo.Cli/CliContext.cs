using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace Mnemo.Cli;

/// <summary>What a command needs from the command line: options, logging, and the engine.</summary>
internal sealed class CliContext(ParseResult parse) : IDisposable
{
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

    public Task<MemoryEngine> OpenEngineAsync(CancellationToken cancellationToken) =>
        MemoryEngine.OpenAsync(Options(), loggerFactory: LoggerFactory, cancellationToken: cancellationToken);

    public void Dispose() => LoggerFactory.Dispose();
}
