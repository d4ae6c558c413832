using Mnemo.Storage;
using Mnemo.Storage.Schema;
using Npgsql;

namespace Mnemo.Postgres;

/// <summary>
/// Migrates the shared store to <see cref="StoreSchema"/>; <c>mnemo_schema</c> records how many
/// steps ran. Nodes starting together migrate one at a time (a transaction-scoped advisory lock),
/// all pending steps in one transaction.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Advisory lock keys: the schema migration, and the single writer of audit events.</summary>
    internal const long MigrationLock = 0x4D6E656D6F_01;
    internal const long WriterLock = 0x4D6E656D6F_02;

    /// <summary>The channel a committed change is announced on; the payload is the latest audit id.</summary>
    internal const string ChangeChannel = "mnemo_changes";

    /// <summary>The channel new queued work is announced on.</summary>
    internal const string WorkChannel = "mnemo_work";

    /// <summary>
    /// Before the schema was described once for both stores, PostgreSQL numbered its own five
    /// steps: <c>LegacySteps[v]</c> is how many shared steps a store at its former version v holds.
    /// A store migrated since records the shared count, which can no longer be 2 to 5: pending
    /// steps all run in one transaction, and there were ten when the numbering changed.
    /// </summary>
    private static readonly int[] LegacySteps = [0, 1, 7, 8, 9, 10];

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var setup = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key); CREATE TABLE IF NOT EXISTS mnemo_schema (version integer NOT NULL); ", connection, transaction))
        {
            setup.Parameters.AddWithValue("key", MigrationLock);
            await setup.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM mnemo_schema", connection, transaction);
        var recorded = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        var version = recorded < LegacySteps.Length ? LegacySteps[recorded] : recorded;
        if (version > StoreSchema.Steps.Count)
        {
            throw new InvalidOperationException($"the PostgreSQL store has schema version {version}, newer than this Mnemo ({StoreSchema.Steps.Count}); upgrade Mnemo on this node.");
        }

        for (var i = version; i < StoreSchema.Steps.Count; i++)
        {
            await using var migrate = new NpgsqlCommand(StoreSchema.Render(SqlDialect.Postgres, i) + FormattableString.Invariant($"\nINSERT INTO mnemo_schema(version) VALUES ({i + 1});"), connection, transaction);
            await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
