namespace Mnemo;

/// <summary>The data directory holds someone's conversations: only its owner may read it.</summary>
public static class DataDirectory
{
    public static void Ensure(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var existed = Directory.Exists(path);
        var info = Directory.CreateDirectory(path);
        if (!existed && !OperatingSystem.IsWindows())
        {
            info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }
    }
}
