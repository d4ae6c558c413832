using System.Text;

namespace Mnemo.Storage.Schema;

/// <summary>A column's type as Mnemo means it; each dialect names it its own way.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The kinds are the SQL types they stand for.")]
public enum ColumnKind
{
    /// <summary>The table's own id: SQLite's rowid (<c>INTEGER PRIMARY KEY</c>), PostgreSQL's <c>bigserial PRIMARY KEY</c>.</summary>
    Id,

    /// <summary>An id never given twice, even after the newest row is deleted (SQLite's <c>AUTOINCREMENT</c>).</summary>
    IncreasingId,

    /// <summary>A 32-bit integer (counts, small numbers).</summary>
    Int,

    /// <summary>A 64-bit integer: times in Unix milliseconds, ids of other rows, sizes.</summary>
    Long,

    Text,

    Bytes,

    Real,

    /// <summary>True or false: SQLite stores 1 or 0.</summary>
    Bool,
}

/// <summary>
/// A column: its name, its kind, whether it may be null, and what follows the type in both
/// dialects alike (<c>UNIQUE</c>, <c>DEFAULT 0</c>, <c>CHECK (...)</c>, <c>REFERENCES ...</c>).
/// </summary>
public sealed record Column(string Name, ColumnKind Kind, bool Required = false, string? Constraint = null)
{
    public Column NotNull() => this with { Required = true };

    public Column With(string constraint) => this with { Constraint = Constraint is null ? constraint : $"{Constraint} {constraint}" };

    public string Render(SqlDialect dialect)
    {
        var type = (Kind, dialect) switch
        {
            (ColumnKind.Id, SqlDialect.Postgres) or (ColumnKind.IncreasingId, SqlDialect.Postgres) => "bigserial PRIMARY KEY",
            (ColumnKind.Id, _) => "INTEGER PRIMARY KEY",
            (ColumnKind.IncreasingId, _) => "INTEGER PRIMARY KEY AUTOINCREMENT",
            (ColumnKind.Int, SqlDialect.Postgres) => "integer",
            (ColumnKind.Long, SqlDialect.Postgres) => "bigint",
            (ColumnKind.Text, SqlDialect.Postgres) => "text",
            (ColumnKind.Bytes, SqlDialect.Postgres) => "bytea",
            (ColumnKind.Real, SqlDialect.Postgres) => "double precision",
            (ColumnKind.Bool, SqlDialect.Postgres) => "boolean",
            (ColumnKind.Int or ColumnKind.Long or ColumnKind.Bool, _) => "INTEGER",
            (ColumnKind.Text, _) => "TEXT",
            (ColumnKind.Bytes, _) => "BLOB",
            (ColumnKind.Real, _) => "REAL",
            _ => throw new ArgumentOutOfRangeException(nameof(dialect), Kind, "no such column kind"),
        };
        var sql = new StringBuilder($"{Name} {type}");
        if (Required)
        {
            sql.Append(" NOT NULL");
        }

        if (Constraint is not null)
        {
            sql.Append(' ').Append(Constraint);
        }

        return sql.ToString();
    }
}

/// <summary>One change a schema step makes, written once for both dialects or for one of them.</summary>
public abstract record SchemaChange
{
    /// <summary>The change as SQL for the dialect; empty when it does not apply there.</summary>
    public abstract string Render(SqlDialect dialect);
}

/// <summary>A table; <paramref name="Key"/> is a primary key over several columns.</summary>
public sealed record CreateTable(string Name, IReadOnlyList<Column> Columns, string? Key = null) : SchemaChange
{
    public override string Render(SqlDialect dialect)
    {
        var lines = Columns.Select(c => "    " + c.Render(dialect)).ToList();
        if (Key is not null)
        {
            lines.Add($"    PRIMARY KEY ({Key})");
        }

        // STRICT: SQLite refuses a value of the wrong type instead of storing it as it comes.
        return $"CREATE TABLE {Name} (\n{string.Join(",\n", lines)}\n){(dialect == SqlDialect.Sqlite ? " STRICT" : string.Empty)};";
    }
}

public sealed record CreateIndex(string Name, string Table, string Columns, bool Unique = false, string? Where = null) : SchemaChange
{
    public override string Render(SqlDialect dialect) =>
        $"CREATE {(Unique ? "UNIQUE " : string.Empty)}INDEX {Name} ON {Table}({Columns}){(Where is null ? string.Empty : " WHERE " + Where)};";
}

public sealed record AddColumn(string Table, Column Column) : SchemaChange
{
    public override string Render(SqlDialect dialect) => $"ALTER TABLE {Table} ADD COLUMN {Column.Render(dialect)};";
}

/// <summary>What only one database has: SQLite's FTS5 tables and triggers, PostgreSQL's computed full-text column and the nodes' coordination tables.</summary>
public sealed record DialectSql(SqlDialect Dialect, string Sql) : SchemaChange
{
    public override string Render(SqlDialect dialect) => dialect == Dialect ? Sql : string.Empty;
}

/// <summary>One migration: why it exists and what it changes. A shipped step is never edited; a new one is appended.</summary>
public sealed record SchemaStep(string Purpose, IReadOnlyList<SchemaChange> Changes)
{
    public string Render(SqlDialect dialect) =>
        string.Join("\n", Changes.Select(c => c.Render(dialect)).Where(sql => sql.Length > 0));
}
