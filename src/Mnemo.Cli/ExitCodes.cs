namespace Mnemo.Cli;

/// <summary>Exit codes shared by every command (health has its own: 0 healthy, 2 degraded, 1 unhealthy).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The user's input was wrong or partly unreadable.</summary>
    public const int UserError = 1;

    /// <summary>Mnemo itself failed (disk, database, model).</summary>
    public const int SystemError = 2;
}
