using System.Text;
using CliWrap;
using CliWrap.Buffered;
using Mnemo.Backups;
using Npgsql;

namespace Mnemo.Postgres;

/// <summary>
/// Backups of the shared store with PostgreSQL's own tools: <c>pg_dump</c> writes one consistent
/// snapshot (custom format) into the backup, and verifying reads it back with <c>pg_restore</c>:
/// the archive's table of contents must list Mnemo's tables, and the rows of memories, digests and
/// ratings streamed out of it must match the manifest, without a database to restore into. The
/// password goes to the tools through the environment, never on their command line.
/// </summary>
/// <param name="binDirectory">Where pg_dump and pg_restore are; default: <c>MNEMO_PG_BIN</c>, then the PATH, then Debian's newest <c>/usr/lib/postgresql/*/bin</c>.</param>
public sealed class PostgresBackup(string connectionString, string? binDirectory = null) : ISharedBackup
{
    private readonly NpgsqlConnectionStringBuilder _connection = new(connectionString);

    public string FileName => BackupService.SharedDumpName;

    public string Location => FormattableString.Invariant($"postgres://{_connection.Host}:{_connection.Port}/{_connection.Database}");

    public async Task<(int Schema, BackupCounts Counts)> DumpAsync(string target, CancellationToken cancellationToken)
    {
        var result = await Cli.Wrap(Tool("pg_dump"))
            .WithArguments(["--format=custom", "--no-owner", "--no-privileges", $"--file={target}"])
            .WithEnvironmentVariables(Environment())
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken)
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new BackupException($"pg_dump of {Location} failed (exit {result.ExitCode}): {result.StandardError.Trim()}");
        }

        var problems = new List<string>();
        var (schema, counts) = await ReadAsync(target, problems, cancellationToken).ConfigureAwait(false);
        return problems.Count == 0 ? (schema, counts) : throw new BackupException($"the dump of {Location} cannot be read back: {string.Join("; ", problems)}");
    }

    public async Task CheckAsync(string file, BackupManifest manifest, List<string> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(problems);
        var (schema, counts) = await ReadAsync(file, problems, cancellationToken).ConfigureAwait(false);
        if (problems.Count > 0)
        {
            return;
        }

        if (schema != manifest.SchemaVersion)
        {
            problems.Add($"the dump has schema version {schema} but the manifest says {manifest.SchemaVersion}");
        }

        if (counts != manifest.Counts)
        {
            problems.Add($"the dump holds {counts} but the manifest says {manifest.Counts}");
        }
    }

    /// <summary>The schema version and counts, read from the dump itself (so they describe exactly that snapshot).</summary>
    private async Task<(int Schema, BackupCounts Counts)> ReadAsync(string file, List<string> problems, CancellationToken cancellationToken)
    {
        var list = await Cli.Wrap(Tool("pg_restore"))
            .WithArguments(["--list", file])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken)
            .ConfigureAwait(false);
        if (list.ExitCode != 0)
        {
            problems.Add($"pg_restore cannot read the dump: {list.StandardError.Trim()}");
            return (0, new BackupCounts(0, 0, 0, 0));
        }

        // Lines like "3345; 0 16390 TABLE DATA public memories mnemo".
        foreach (var table in new[] { "memories", "embeddings", "audit_log", "digests", "feedback", "mnemo_schema" })
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(list.StandardOutput, $@" TABLE DATA \S+ {table}( |$)", System.Text.RegularExpressions.RegexOptions.Multiline))
            {
                problems.Add($"the dump has no data for the table {table}");
            }
        }

        if (problems.Count > 0)
        {
            return (0, new BackupCounts(0, 0, 0, 0));
        }

        // The rows themselves, streamed out as COPY text (one line per row, tabs between columns).
        var rows = new CopyRows();
        var data = await Cli.Wrap(Tool("pg_restore"))
            .WithArguments(["--data-only", "--table=memories", "--table=digests", "--table=feedback", "--table=mnemo_schema", "--file=-", file])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(rows.Add, Encoding.UTF8))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken)
            .ConfigureAwait(false);
        if (data.ExitCode != 0)
        {
            problems.Add($"pg_restore cannot read the dump's rows: {data.StandardError.Trim()}");
        }

        return (rows.Schema, new BackupCounts(rows.Count("memories"), rows.Sessions.Count, rows.Count("digests"), rows.Count("feedback")));
    }

    private Dictionary<string, string?> Environment()
    {
        var environment = new Dictionary<string, string?>
        {
            ["PGHOST"] = _connection.Host,
            ["PGPORT"] = _connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGDATABASE"] = _connection.Database,
            ["PGUSER"] = _connection.Username,
            ["PGCONNECT_TIMEOUT"] = "10",
        };
        if (!string.IsNullOrEmpty(_connection.Password))
        {
            environment["PGPASSWORD"] = _connection.Password;
        }

        if (_connection.SslMode != SslMode.Prefer)
        {
            environment["PGSSLMODE"] = _connection.SslMode.ToString().ToLowerInvariant() switch
            {
                "verifyca" => "verify-ca",
                "verifyfull" => "verify-full",
                var mode => mode,
            };
        }

        return environment;
    }

    private string Tool(string name)
    {
        var directory = binDirectory ?? System.Environment.GetEnvironmentVariable("MNEMO_PG_BIN");
        if (!string.IsNullOrEmpty(directory))
        {
            return Path.Combine(directory, name);
        }

        var onPath = (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
        if (onPath is not null)
        {
            return onPath;
        }

        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", name)).Where(File.Exists).OrderBy(p => p, StringComparer.Ordinal).LastOrDefault()
            : null;
        return debian ?? throw new BackupException($"{name} was not found (install PostgreSQL's client tools, e.g. the Debian package postgresql-client, or set MNEMO_PG_BIN to their directory)");
    }

    /// <summary>Counts the rows of each COPY block in pg_restore's text output; collects memories' (agent, session) pairs.</summary>
    private sealed class CopyRows
    {
        private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
        private string? _table;
        private int _agent = -1;
        private int _session = -1;

        public HashSet<(string, string)> Sessions { get; } = [];

        public int Schema { get; private set; }

        public long Count(string table) => _counts.GetValueOrDefault(table);

        public void Add(string line)
        {
            if (_table is null)
            {
                // COPY public.memories (id, memory_key, agent, ...) FROM stdin;
                if (line.StartsWith("COPY ", StringComparison.Ordinal) && line.EndsWith(" FROM stdin;", StringComparison.Ordinal))
                {
                    var name = line[5..line.IndexOf(' ', 5)];
                    _table = name[(name.LastIndexOf('.') + 1)..].Trim('"');
                    var columns = line[(line.IndexOf('(', StringComparison.Ordinal) + 1)..line.LastIndexOf(')')].Split(", ");
                    _agent = Array.IndexOf(columns, "agent");
                    _session = Array.IndexOf(columns, "session");
                    _counts.TryAdd(_table, 0);
                }

                return;
            }

            if (line == "\\.")
            {
                _table = null;
                return;
            }

            _counts[_table]++;
            if (_table == "mnemo_schema" && int.TryParse(line, System.Globalization.CultureInfo.InvariantCulture, out var version))
            {
                Schema = Math.Max(Schema, version);
            }
            else if (_table == "memories" && _agent >= 0 && _session >= 0)
            {
                var fields = line.Split('\t');
                Sessions.Add((fields[_agent], fields[_session]));
            }
        }
    }
}
