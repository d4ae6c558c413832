using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Mnemo.Tests.Support;

/// <summary>
/// A real PostgreSQL server of the test run's own: a fresh cluster (initdb) in a temporary
/// directory, listening on 127.0.0.1 at a free port, stopped and removed at the end. The binaries
/// come from Debian's postgresql package (test.sh installs it when missing), or MNEMO_PG_BIN.
/// Run as root, the server runs as the postgres user (PostgreSQL refuses root).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mnemo-pg-" + Guid.NewGuid().ToString("N"));
    private int _databases;

    public int Port { get; private set; }

    private string DataDirectory => Path.Combine(_directory, "data");

    public string ConnectionString(string database) =>
        FormattableString.Invariant($"Host=127.0.0.1;Port={Port};Database={database};Username=mnemo;Pooling=true;Include Error Detail=true");

    /// <summary>A new empty database on this server; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = FormattableString.Invariant($"test_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..8]}");
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        Port = FreePort();
        if (IsRoot)
        {
            await RunAsync("chown", "postgres", _directory);
        }

        await RunPostgresAsync("initdb", "-D", DataDirectory, "-U", "mnemo", "--auth=trust", "-E", "UTF8", "--no-sync");
        await StartAsync();
    }

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>) on the same port.</summary>
    public Task StartAsync() => RunPostgresAsync(
        "pg_ctl", "-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(_directory, "server.log"),
        "-o", FormattableString.Invariant($"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200"),
        "start");

    /// <summary>Stops the server at once (clients see their connections drop).</summary>
    public Task StopAsync() => RunPostgresAsync("pg_ctl", "-D", DataDirectory, "-w", "-m", "immediate", "stop");

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static string Binaries()
    {
        if (Environment.GetEnvironmentVariable("MNEMO_PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }

        var versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        var newest = versions.Where(v => File.Exists(Path.Combine(v, "bin", "initdb")))
            .OrderByDescending(v => int.TryParse(Path.GetFileName(v), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0)
            .FirstOrDefault();
        return newest is null
            ? throw new InvalidOperationException("PostgreSQL's server binaries were not found under /usr/lib/postgresql; install Debian's postgresql package (test.sh does) or set MNEMO_PG_BIN")
            : Path.Combine(newest, "bin");
    }

    private static Task RunPostgresAsync(string tool, params string[] args)
    {
        var path = Path.Combine(Binaries(), tool);
        return IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args]) : RunAsync(path, args);
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The tests that share one PostgreSQL server (each with databases of its own).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresGroup : ICollectionFixture<PostgresServer>, ICollectionFixture<EmbedderFixture>
{
    public const string Name = "postgres";
}
