namespace Mnemo.Search;

/// <summary>
/// The full-text engine refused a query's expression. The server answers 400 naming the query;
/// nothing was read or changed.
/// </summary>
public sealed class QueryRejectedException : ArgumentException
{
    public QueryRejectedException(string query, string reason, Exception? inner = null)
        : base($"the query \"{Shown(query)}\" cannot be searched: {reason}", inner) => Query = query;

    public QueryRejectedException()
    {
        Query = string.Empty;
    }

    public QueryRejectedException(string message)
        : base(message)
    {
        Query = string.Empty;
    }

    public QueryRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Query = string.Empty;
    }

    public string Query { get; }

    /// <summary>The query as the error shows it: control characters escaped, at most 80 characters.</summary>
    private static string Shown(string query)
    {
        var escaped = string.Concat(query.Take(80).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return query.Length > 80 ? escaped + "…" : escaped;
    }
}
