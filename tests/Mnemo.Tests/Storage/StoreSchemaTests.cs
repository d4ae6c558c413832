using Microsoft.Data.Sqlite;
using Mnemo.Postgres;
using Mnemo.Storage;
using Mnemo.Storage.Schema;
using Mnemo.Tests.Support;
using Npgsql;

namespace Mnemo.Tests.Storage;

/// <summary>The one schema description, as each database ends up holding it.</summary>
[Collection(PostgresGroup.Name)]
public sealed class StoreSchemaTests(PostgresServer server)
{
    /// <summary>What only one database has: SQLite's full-text tables, PostgreSQL's coordination tables and computed full-text column.</summary>
    private static readonly string[] SqliteOnly = ["memories_fts", "memories_vocab", "sqlite_sequence"];
    private static readonly string[] PostgresOnly = ["job_occurrences", "work_items", "work_attempts", "voice_audio", "mnemo_schema"];

    [Fact]
    public async Task BothStores_HoldTheSameTablesAndColumns()
    {
        using var dir = new TempDirectory();
        var path = dir.File("mnemo.db");
        await (await SqliteMemoryStore.OpenAsync(path, TimeProvider.System, CancellationToken.None)).DisposeAsync();
        var sqlite = new SortedSet<string>(StringComparer.Ordinal);
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT t.name, c.name FROM sqlite_master t, pragma_table_info(t.name) c WHERE t.type = 'table' AND t.name NOT LIKE 'memories_fts%'";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                if (!SqliteOnly.Contains(reader.GetString(0)))
                {
                    sqlite.Add($"{reader.GetString(0)}.{reader.GetString(1)}");
                }
            }
        }

        var connectionString = await server.CreateDatabaseAsync();
        await (await PostgresMemoryStore.OpenAsync(connectionString, TimeProvider.System, CancellationToken.None)).DisposeAsync();
        var postgres = new SortedSet<string>(StringComparer.Ordinal);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                if (!PostgresOnly.Contains(reader.GetString(0)))
                {
                    postgres.Add($"{reader.GetString(0)}.{reader.GetString(1)}");
                }
            }
        }

        postgres.ExceptWith(["memories.context", "memories.search"]);
        Assert.Contains("memories.untrusted", sqlite);
        Assert.Contains("voice_senders.owner", sqlite);
        Assert.Equal(sqlite, postgres);
    }

    [Fact]
    public async Task PostgresStore_NumberedByItsOwnFormerSteps_GoesOnFromTheSharedStepItHadReached()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await (await PostgresMemoryStore.OpenAsync(connectionString, TimeProvider.System, CancellationToken.None)).DisposeAsync();

        // A store the release before the shared schema left at its own version 2 (compactions to
        // context notices): no pins, session keys, resets or voice senders yet.
        await ExecuteAsync(connectionString, """
            INSERT INTO store_meta(key, value) VALUES ('kept', 'yes');
            DROP TABLE pins; DROP TABLE session_keys; DROP TABLE session_resets; DROP TABLE voice_senders;
            DELETE FROM mnemo_schema; INSERT INTO mnemo_schema(version) VALUES (1), (2);
            """);

        await (await PostgresMemoryStore.OpenAsync(connectionString, TimeProvider.System, CancellationToken.None)).DisposeAsync();

        Assert.Equal(StoreSchema.Steps.Count, await ScalarAsync<int>(connectionString, "SELECT max(version) FROM mnemo_schema"));
        Assert.Equal("yes", await ScalarAsync<string>(connectionString, "SELECT value FROM store_meta WHERE key = 'kept'"));
        Assert.Equal(4L, await ScalarAsync<long>(connectionString, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('pins', 'session_keys', 'session_resets', 'voice_senders')"));

        // At the former last version (5) nothing is left to run: opening twice changes nothing.
        await ExecuteAsync(connectionString, "DELETE FROM mnemo_schema; INSERT INTO mnemo_schema(version) VALUES (5);");
        await (await PostgresMemoryStore.OpenAsync(connectionString, TimeProvider.System, CancellationToken.None)).DisposeAsync();
        Assert.Equal(5, await ScalarAsync<int>(connectionString, "SELECT max(version) FROM mnemo_schema"));
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
