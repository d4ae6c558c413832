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

    /// <summary>
    /// The memory on the configured store (the data directory's SQLite, or the shared PostgreSQL of
    /// <c>Store:*</c>), with every setting <c>mnemo serve</c> would use (config.json, <c>MNEMO_*</c>):
    /// a one-shot command stores and reads as the server does (redaction above all).
    /// </summary>
    public Task<MemoryEngine> OpenEngineAsync(CancellationToken cancellationToken) =>
        Mnemo.Postgres.MemoryEngines.OpenAsync(Server.Hosting.MnemoSettings.Load(DataDirectory).Memory, loggerFactory: LoggerFactory, cancellationToken: cancellationToken);

    public void Dispose() => LoggerFactory.Dispose();
}
