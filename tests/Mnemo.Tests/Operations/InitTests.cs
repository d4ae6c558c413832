using System.Diagnostics;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Operations;

/// <summary><c>mnemo init</c> on a machine that has never seen Mnemo.</summary>
public sealed class InitTests
{
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Init_OnAnEmptyHome_CreatesPrivateDataAndADocumentedConfig_ChecksTheMachine_AndWritesTheSystemdUnit()
    {
        using var home = new TempDirectory();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliProcess.CliDll);
        info.ArgumentList.Add("init");
        info.ArgumentList.Add("--systemd");
        info.Environment["HOME"] = home.Path;
        info.Environment.Remove("MNEMO_DATA_DIR");
        info.Environment.Remove("MNEMO_OPENCLAW_DIR");
        info.Environment.Remove("XDG_CONFIG_HOME");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token);
        var output = await stdout;

        Assert.True(process.ExitCode == 0, output + await stderr);
        var data = Path.Combine(home.Path, ".mnemo");
        var config = Path.Combine(data, "config.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        var text = await File.ReadAllTextAsync(config);
        Assert.Contains("// Mnemo's configuration", text, StringComparison.Ordinal);
        Assert.Contains("// \"Backup\":", text, StringComparison.Ordinal);
        Assert.Matches("\"Token\": \"[A-Za-z0-9_-]{40,}\"", text);
        Assert.Contains("OpenClaw: not found", output, StringComparison.Ordinal);
        Assert.Contains("disk:", output, StringComparison.Ordinal);
        Assert.Contains("mnemo is degraded", output, StringComparison.Ordinal);
        Assert.Contains("no backup", output, StringComparison.Ordinal);
        Assert.Contains("Next steps:", output, StringComparison.Ordinal);
        var unit = await File.ReadAllTextAsync(Path.Combine(home.Path, ".config", "systemd", "user", "mnemo.service"));
        Assert.Contains("Restart=on-failure", unit, StringComparison.Ordinal);
        Assert.Matches($"ExecStart=.* --data-dir {System.Text.RegularExpressions.Regex.Escape(data)} serve", unit);
    }
}
