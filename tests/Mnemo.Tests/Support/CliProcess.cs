using System.Diagnostics;

namespace Mnemo.Tests.Support;

/// <summary>Runs the real <c>mnemo</c> program (the Mnemo.Cli build beside this test build) as a child process.</summary>
public static class CliProcess
{
    public static string CliDll { get; } = FindCli();

    public static ProcessStartInfo StartInfo(string dataDir, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(dataDir);
        return info;
    }

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string dataDir, params string[] args) =>
        RunAsync(dataDir, new Dictionary<string, string>(), args);

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string dataDir, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = StartInfo(dataDir, args);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string FindCli()
    {
        // tests/Mnemo.Tests/bin/<Configuration>/net10.0/ -> src/Mnemo.Cli/bin/<Configuration>/net10.0/mnemo.dll
        var testBin = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = testBin.Parent!.Name;
        for (var dir = testBin; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Mnemo.Cli", "bin", configuration, testBin.Name, "mnemo.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("mnemo.dll was not built beside the tests");
    }
}
