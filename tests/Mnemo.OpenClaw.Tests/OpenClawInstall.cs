using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mnemo.OpenClaw.Tests;

/// <summary>
/// The pinned real OpenClaw and its Node 24, installed once into a cache by
/// <c>eng/install-openclaw.sh</c>, and helpers to run it against a temporary HOME.
/// </summary>
public sealed class OpenClawInstall
{
    private OpenClawInstall(string directory) => Directory = directory;

    public string Directory { get; }

    public string Node => Path.Combine(Directory, "node", "bin", "node");

    public string Entry => Path.Combine(Directory, "node_modules", "openclaw", "openclaw.mjs");

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Directory of the <c>mnemo</c> build beside this test build (src/Mnemo.Cli/bin/...).</summary>
    public static string MnemoDll { get; } = FindMnemo();

    public static async Task<OpenClawInstall> EnsureAsync()
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(RepositoryRoot, "eng", "install-openclaw.sh"));
        var (code, stdout, stderr) = await RunAsync(info, TimeSpan.FromMinutes(10));
        Assert.True(code == 0, $"installing OpenClaw failed ({code}): {stderr}");
        return new OpenClawInstall(stdout.Trim().Split('\n')[^1]);
    }

    /// <summary>A start info for <c>openclaw ARGS</c> with HOME set to <paramref name="home"/>.</summary>
    public ProcessStartInfo StartInfo(string home, params string[] args)
    {
        var info = new ProcessStartInfo(Node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Entry);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        Isolate(info, home);
        info.Environment["PATH"] = Path.GetDirectoryName(Node) + ":" + Environment.GetEnvironmentVariable("PATH");
        return info;
    }

    public static void Isolate(ProcessStartInfo info, string home)
    {
        info.Environment["HOME"] = home;
        info.Environment["OPENCLAW_DISABLE_BONJOUR"] = "1";
        info.Environment["NO_COLOR"] = "1";
    }

    public Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string home, TimeSpan timeout, params string[] args) =>
        RunAsync(StartInfo(home, args), timeout);

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(ProcessStartInfo info, TimeSpan timeout)
    {
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList.Skip(1).Take(3))} did not finish in {timeout.TotalSeconds:F0} s; stderr: {await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitForPortAsync(int port, Process owner, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            Assert.False(owner.HasExited, $"the process meant to listen on {port} exited with {(owner.HasExited ? owner.ExitCode : 0)}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(250);
            }
        }

        throw new TimeoutException($"nothing listened on 127.0.0.1:{port} within {timeout.TotalSeconds:F0} s");
    }

    /// <summary>Stops a process the way a service manager does (SIGTERM), then kills it if it lingers.</summary>
    public static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mnemo.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("the repository root (Mnemo.slnx) is not above the test build");
    }

    private static string FindMnemo()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory);
        var path = Path.Combine(FindRoot(), "src", "Mnemo.Cli", "bin", testBin.Parent!.Name, testBin.Name, "mnemo.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("mnemo.dll was not built beside the tests", path);
    }
}
