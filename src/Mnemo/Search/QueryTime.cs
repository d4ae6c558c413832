using System.Globalization;
using System.Text.RegularExpressions;

namespace Mnemo.Search;

/// <summary>A span of time a query speaks of: memories stored within it are the likelier answers.</summary>
/// <param name="Start">First instant of the span (inclusive).</param>
/// <param name="End">End of the span (exclusive), widened a little: things are often told a few days after they happened.</param>
/// <param name="Expression">The words of the query that named it.</param>
public sealed record TimeWindow(DateTimeOffset Start, DateTimeOffset End, string Expression);

/// <summary>
/// Finds the dates a query names, absolute ("3 June, 2023", "June 2023", "2023-06-03", "in 2022")
/// or relative to when it is asked ("yesterday", "last week", "two months ago", "last Saturday"),
/// and resolves them to spans of time. English only; a query without one yields nothing.
/// </summary>
/// <remarks>
/// Written by hand: the .NET date-recognition library (Microsoft.Recognizers.Text.DateTime) is not
/// served by the registry reachable here, and the forms that matter in chat questions are few.
/// </remarks>
public static partial class QueryTime
{
    /// <summary>Days after a named day, month or year in which a mention still counts ("last week I...").</summary>
    private static readonly TimeSpan DaySlack = TimeSpan.FromDays(2);
    private static readonly TimeSpan PeriodSlack = TimeSpan.FromDays(10);

    private static readonly string[] Months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
    private static readonly string[] MonthAbbreviations = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

    private static readonly Dictionary<string, int> NumberWords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["a"] = 1,
        ["an"] = 1,
        ["one"] = 1,
        ["two"] = 2,
        ["three"] = 3,
        ["four"] = 4,
        ["five"] = 5,
        ["six"] = 6,
        ["seven"] = 7,
        ["eight"] = 8,
        ["nine"] = 9,
        ["ten"] = 10,
        ["eleven"] = 11,
        ["twelve"] = 12,
        ["a couple of"] = 2,
        ["a few"] = 3,
    };

    /// <summary>The spans of time named in <paramref name="query"/>, relative ones counted back from <paramref name="at"/>.</summary>
    public static IReadOnlyList<TimeWindow> Windows(string query, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(query);
        var windows = new List<TimeWindow>();
        var taken = new List<(int Start, int End)>();

        void Add(Match match, DateTimeOffset start, DateTimeOffset end, TimeSpan slack)
        {
            if (taken.Any(t => match.Index < t.End && t.Start < match.Index + match.Length))
            {
                return;
            }

            taken.Add((match.Index, match.Index + match.Length));
            windows.Add(new TimeWindow(start - TimeSpan.FromDays(1), end + slack, match.Value.Trim()));
        }

        // Most specific first, so "3 June 2023" is not also read as "June 2023" or "2023".
        foreach (Match m in DayMonthYear().Matches(query))
        {
            if (Day(m.Groups["year"].Value, m.Groups["month"].Value, m.Groups["day"].Value) is { } day)
            {
                Add(m, day, day.AddDays(1), DaySlack);
            }
        }

        foreach (Match m in MonthDayYear().Matches(query))
        {
            if (Day(m.Groups["year"].Value, m.Groups["month"].Value, m.Groups["day"].Value) is { } day)
            {
                Add(m, day, day.AddDays(1), DaySlack);
            }
        }

        foreach (Match m in IsoDate().Matches(query))
        {
            if (DateTimeOffset.TryParseExact(m.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var day))
            {
                Add(m, day, day.AddDays(1), DaySlack);
            }
        }

        foreach (Match m in MonthYear().Matches(query))
        {
            if (Day(m.Groups["year"].Value, m.Groups["month"].Value, "1") is { } first)
            {
                Add(m, first, first.AddMonths(1), PeriodSlack);
            }
        }

        foreach (Match m in Year().Matches(query))
        {
            var year = int.Parse(m.Groups["year"].ValueSpan, CultureInfo.InvariantCulture);
            var first = new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero);
            Add(m, first, first.AddYears(1), PeriodSlack);
        }

        var today = new DateTimeOffset(at.UtcDateTime.Date, TimeSpan.Zero);
        foreach (Match m in Relative().Matches(query))
        {
            var text = m.Value.ToLowerInvariant();
            if (text.Contains("yesterday", StringComparison.Ordinal))
            {
                Add(m, today.AddDays(-1), today, DaySlack);
            }
            else if (text.Contains("today", StringComparison.Ordinal))
            {
                Add(m, today, today.AddDays(1), DaySlack);
            }
            else if (m.Groups["weekday"].Success)
            {
                var target = Enum.Parse<DayOfWeek>(m.Groups["weekday"].Value, ignoreCase: true);
                var back = ((int)today.DayOfWeek - (int)target + 7) % 7;
                var day = today.AddDays(-(back == 0 ? 7 : back));
                Add(m, day, day.AddDays(1), DaySlack);
            }
            else if (m.Groups["unit"].Success)
            {
                var count = m.Groups["count"].Success ? Count(m.Groups["count"].Value) : 1;
                var unit = m.Groups["unit"].Value.ToLowerInvariant().TrimEnd('s');
                var (start, end) = unit switch
                {
                    "day" => (today.AddDays(-count), today.AddDays(-count + 1)),
                    "week" => (today.AddDays(-7 * (count + 1)), today.AddDays(-7 * (count - 1))),
                    "weekend" => (today.AddDays(-7 * count - 3), today.AddDays(-7 * (count - 1))),
                    "month" => (today.AddMonths(-count - 1), today.AddMonths(-count + 1)),
                    _ => (today.AddYears(-count - 1), today.AddYears(-count + 1)),
                };
                Add(m, start, end, DaySlack);
            }
        }

        return windows;
    }

    private static int Count(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : NumberWords.GetValueOrDefault(text.Trim(), 1);

    private static DateTimeOffset? Day(string yearText, string monthText, string dayText)
    {
        var month = Array.IndexOf(Months, monthText.ToLowerInvariant()) + 1;
        if (month == 0)
        {
            month = Array.IndexOf(MonthAbbreviations, monthText.ToLowerInvariant().TrimEnd('.')) + 1;
        }

        if (month == 0
            || !int.TryParse(yearText, NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            || !int.TryParse(dayText, NumberStyles.None, CultureInfo.InvariantCulture, out var day)
            || year is < 1900 or > 2200 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return null;
        }

        return new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero);
    }

    private const string MonthName = "(?<month>january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\\.?";

    [GeneratedRegex(@"\b(?<day>\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+" + MonthName + @",?\s+(?<year>\d{4})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DayMonthYear();

    [GeneratedRegex(@"\b" + MonthName + @"\s+(?<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?<year>\d{4})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MonthDayYear();

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}\b", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"\b" + MonthName + @",?\s+(?:of\s+)?(?<year>\d{4})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MonthYear();

    [GeneratedRegex(@"\b(?:in|during|of|since|by|throughout)\s+(?<year>(?:19|20)\d{2})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Year();

    [GeneratedRegex(@"\b(?:yesterday|today|last\s+(?<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(?:last|past|previous)\s+(?<unit>week|weekend|month|year)|(?<count>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of|a few)\s+(?<unit>days?|weeks?|weekends?|months?|years?)\s+ago)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Relative();
}
