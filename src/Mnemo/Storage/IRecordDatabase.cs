using System.Data.Common;

namespace Mnemo.Storage;

/// <summary>The SQL dialect a record database speaks, where the two differ (JSON arrays, row locks).</summary>
public enum SqlDialect
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Where Mnemo keeps what it derives and decides (compactions, digests, signals, feedback, jobs,
/// the voice queue, model calls): the embedded SQLite file, or the PostgreSQL database several
/// nodes share. The stores of those records write SQL both databases accept (named parameters
/// as <c>@name</c>, <c>ON CONFLICT</c>, <c>RETURNING</c>, aggregate <c>FILTER</c>) and ask the
/// dialect for the few expressions that differ.
/// </summary>
public interface IRecordDatabase
{
    SqlDialect Dialect { get; }

    /// <summary>An open connection; a shared database that cannot be reached throws <see cref="StoreUnavailableException"/>.</summary>
    Task<DbConnection> OpenRecordConnectionAsync(CancellationToken cancellationToken);
}

/// <summary>The expressions the two dialects write differently, and parameter binding on plain ADO.NET.</summary>
public static class RecordSql
{
    /// <summary>
    /// A FROM item yielding one row per element of a JSON array, as <paramref name="alias"/>.value:
    /// SQLite's <c>json_each</c>, PostgreSQL's <c>jsonb_array_elements</c>. <paramref name="field"/>
    /// descends into an object member first.
    /// </summary>
    public static string JsonElements(this SqlDialect dialect, string expression, string alias, string? field = null) => dialect switch
    {
        SqlDialect.Postgres => field is null
            ? $"jsonb_array_elements(({expression})::jsonb) AS {alias}(value)"
            : $"jsonb_array_elements(({expression})::jsonb -> '{field}') AS {alias}(value)",
        _ => field is null ? $"json_each({expression}) AS {alias}" : $"json_each({expression}, '$.{field}') AS {alias}",
    };

    /// <summary>An element from <see cref="JsonElements"/> read as an integer id.</summary>
    public static string JsonInteger(this SqlDialect dialect, string alias) =>
        dialect == SqlDialect.Postgres ? $"({alias}.value)::bigint" : $"{alias}.value";

    /// <summary>An element from <see cref="JsonElements"/> read as text.</summary>
    public static string JsonText(this SqlDialect dialect, string alias) =>
        dialect == SqlDialect.Postgres ? $"({alias}.value #>> '{{}}')" : $"{alias}.value";

    /// <summary>The row lock that lets several nodes take different rows of a queue at once (PostgreSQL); SQLite has one writer.</summary>
    public static string SkipLocked(this SqlDialect dialect) =>
        dialect == SqlDialect.Postgres ? "FOR UPDATE SKIP LOCKED" : string.Empty;

    /// <summary>
    /// Binds a named parameter (<c>@name</c>) on any ADO.NET command; null binds SQL NULL. A null
    /// that PostgreSQL must type by itself (<c>@kind IS NULL</c>) needs <paramref name="type"/>.
    /// </summary>
    public static DbCommand Bind(this DbCommand command, string name, object? value, System.Data.DbType? type = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        if (type is { } dbType)
        {
            parameter.DbType = dbType;
        }

        command.Parameters.Add(parameter);
        return command;
    }

    /// <summary>Runs a statement that takes no parameters and returns nothing (deletions by an id list, say).</summary>
    public static async Task ExecuteAsync(this IRecordDatabase database, string sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var connection = await database.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Memory ids as the inside of an SQL <c>IN (...)</c> list (numbers only, so nothing can be injected).</summary>
    public static string IdList(IEnumerable<long> ids) =>
        string.Join(',', ids.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Binds a text parameter that may be null (typed, so <c>@name IS NULL</c> works on PostgreSQL).</summary>
    public static DbCommand BindText(this DbCommand command, string name, string? value) =>
        command.Bind(name, value, System.Data.DbType.String);

    /// <summary>Marks a digest, signal or context notice delivered (the three tables share the column).</summary>
    public static async Task MarkDeliveredAsync(this IRecordDatabase database, string table, long id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (table is not ("digests" or "signals" or "context_notices"))
        {
            throw new ArgumentException($"{table} has no delivered_at", nameof(table));
        }

        await using var connection = await database.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE {table} SET delivered_at = @at WHERE id = @id";
        command.Bind("@id", id).Bind("@at", at.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
