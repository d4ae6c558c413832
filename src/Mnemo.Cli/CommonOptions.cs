using System.CommandLine;

namespace Mnemo.Cli;

/// <summary>Options every command accepts.</summary>
internal static class CommonOptions
{
    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Data directory (default: $MNEMO_DATA_DIR or ~/.mnemo)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine-readable JSON on stdout",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Debug logging on stderr",
        Recursive = true,
    };
}
