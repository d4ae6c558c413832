namespace Mnemo.Search;

/// <summary>Turns a natural-language query into an FTS5 expression and finds snippets.</summary>
public static class QueryText
{
    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because",
        "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down",
        "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
        "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "might", "more", "most",
        "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves",
        "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them",
        "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very",
        "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you",
        "your", "yours", "yourself", "yourselves", "s", "t", "d", "ll", "m", "re", "ve", "also", "ever", "likely", "kind",
        "say", "said", "tell", "told", "thing", "things", "get", "got",
    };

    /// <summary>The query's meaningful words, lower-cased, in order, without repeats.</summary>
    public static IReadOnlyList<string> Terms(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var terms = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in Words(query))
        {
            // Keep identifiers whole ("ABC-123", "v2.1"); drop surrounding punctuation.
            var token = raw.Trim().Trim(TrimChars).ToLowerInvariant();
            if (token.EndsWith("'s", StringComparison.Ordinal) || token.EndsWith("’s", StringComparison.Ordinal))
            {
                token = token[..^2];
            }

            if (token.Length == 0 || StopWords.Contains(token) || !token.Any(char.IsLetterOrDigit) || !seen.Add(token))
            {
                continue;
            }

            terms.Add(token);
        }

        return terms;
    }

    /// <summary>
    /// The query split at white space and at control characters: a NUL or another control
    /// character is never part of a word (SQLite ends a string at a NUL, so one inside an FTS5
    /// phrase made the whole expression fail).
    /// </summary>
    private static IEnumerable<string> Words(string query)
    {
        var start = -1;
        for (var i = 0; i <= query.Length; i++)
        {
            var separator = i == query.Length || char.IsWhiteSpace(query[i]) || char.IsControl(query[i]);
            if (separator && start >= 0)
            {
                yield return query[start..i];
                start = -1;
            }
            else if (!separator && start < 0)
            {
                start = i;
            }
        }
    }

    private static readonly char[] TrimChars = ['.', ',', ';', ':', '!', '?', '"', '\'', '(', ')', '[', ']', '{', '}', '<', '>', '`', '*', '’', '‘', '“', '”'];

    /// <summary>An FTS5 expression that matches any of the query's words (BM25 ranks by how many and how rare).</summary>
    public static string ToFtsExpression(string query) => string.Join(" OR ", Terms(query).Select(Phrase));

    /// <summary>
    /// One term as an FTS5 phrase: quoted, so FTS5 tokenizes it (stemming included) and no operator
    /// or column filter inside it takes effect; quotes inside are doubled.
    /// </summary>
    public static string Phrase(string term)
    {
        ArgumentNullException.ThrowIfNull(term);
        var clean = term.Any(char.IsControl) ? string.Concat(term.Where(c => !char.IsControl(c))) : term;
        return string.Concat("\"", clean.Replace("\"", "\"\"", StringComparison.Ordinal), "\"");
    }

    /// <summary>The part of <paramref name="text"/> around the densest run of query words, at most <paramref name="length"/> characters.</summary>
    public static string Snippet(string text, IReadOnlyList<string> terms, int length = 200)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(terms);
        var flat = text.ReplaceLineEndings(" ");
        if (flat.Length <= length)
        {
            return flat;
        }

        var best = 0;
        var bestScore = -1;
        for (var start = 0; start < flat.Length; start += Math.Max(1, length / 4))
        {
            var window = flat.AsSpan(start, Math.Min(length, flat.Length - start));
            var score = 0;
            foreach (var term in terms)
            {
                var stem = term.Length > 5 ? term[..5] : term;
                if (window.Contains(stem, StringComparison.OrdinalIgnoreCase))
                {
                    score++;
                }
            }

            if (score > bestScore)
            {
                bestScore = score;
                best = start;
            }
        }

        // Start on a word boundary when one is near.
        for (var back = 0; back < 20 && best - back > 0; back++)
        {
            if (char.IsWhiteSpace(flat[best - back - 1]))
            {
                best -= back;
                break;
            }
        }

        var end = Math.Min(flat.Length, best + length);
        var snippet = flat[best..end].Trim();
        return (best > 0 ? "…" : string.Empty) + snippet + (end < flat.Length ? "…" : string.Empty);
    }
}
