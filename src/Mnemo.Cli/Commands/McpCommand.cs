using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mnemo.Server.Hosting;

namespace Mnemo.Cli.Commands;

/// <summary><c>mnemo mcp</c>: the MCP server over stdin/stdout (stdout carries only the protocol; logs go to stderr).</summary>
internal static class McpCommand
{
    public static Command Create()
    {
        var command = new Command("mcp", "Serve Mnemo's memory tools over MCP on stdin/stdout (for OpenClaw's mcp.servers)");
        command.SetAction((parse, cancellationToken) => MnemoCommandLine.RunAsync(parse, async context =>
        {
            var settings = MnemoSettings.Load(context.DataDirectory);
            using var host = MnemoServer.BuildStdio(settings, context.Verbose ? LogLevel.Debug : LogLevel.Warning);
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
