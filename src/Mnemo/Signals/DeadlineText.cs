using System.Globalization;
using System.Text.RegularExpressions;

namespace Mnemo.Signals;

/// <summary>
/// Finds commitments with a due date in a sentence ("by Friday", "before 2026-12-01", "deadline is
/// March 3", "due tomorrow") and resolves the date against when the sentence was said. Hand-written:
/// Microsoft.Recognizers.Text.DateTime, the library of the field, does not restore on .NET 10 here,
/// and only these few English forms are needed.
/// </summary>
public static partial class DeadlineText
{
    private const int TimeoutMs = 200;

    /// <summary>The due day of the first commitment in the sentence, in the speaker's calendar; null when none.</summary>
    /// <param name="said">When the sentence was said, in the zone that "Friday" and "tomorrow" are meant in.</param>
    public static DateOnly? FindDueDate(string sentence, DateTimeOffset said)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        Match match;
        try
        {
            match = CommitmentPattern().Match(sentence);
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }

        if (!match.Success)
        {
            return null;
        }

        var today = DateOnly.FromDateTime(said.DateTime);
        var when = match.Groups["when"].Value.Trim().ToLowerInvariant();
        if (when is "today" or "tonight" or "eod" or "end of day" or "end of the day")
        {
            return today;
        }

        if (when == "tomorrow")
        {
            return today.AddDays(1);
        }

        if (when is "end of week" or "end of the week" or "the end of the week")
        {
            return NextWeekday(today, DayOfWeek.Friday);
        }

        if (when is "end of month" or "end of the month" or "the end of the month")
        {
            return new DateOnly(today.Year, today.Month, DateTime.DaysInMonth(today.Year, today.Month));
        }

        if (when == "next week")
        {
            return NextWeekday(today, DayOfWeek.Monday).AddDays(today.DayOfWeek == DayOfWeek.Monday ? 7 : 0);
        }

        var weekday = Enum.GetValues<DayOfWeek>().FirstOrDefault(d => when.EndsWith(d.ToString().ToLowerInvariant(), StringComparison.Ordinal), (DayOfWeek)(-1));
        if ((int)weekday >= 0)
        {
            var due = NextWeekday(today, weekday);
            return when.StartsWith("next ", StringComparison.Ordinal) && due.DayNumber - today.DayNumber < 7 ? due.AddDays(7) : due;
        }

        if (DateOnly.TryParseExact(when, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var iso))
        {
            return iso;
        }

        return ParseMonthDay(when, today);
    }

    /// <summary>The same weekday as today counts ("by Friday", said on Friday, is today).</summary>
    private static DateOnly NextWeekday(DateOnly from, DayOfWeek day) => from.AddDays(((int)day - (int)from.DayOfWeek + 7) % 7);

    private static DateOnly? ParseMonthDay(string text, DateOnly today)
    {
        var cleaned = OrdinalSuffix().Replace(text.Replace(",", string.Empty, StringComparison.Ordinal).Replace(" of ", " ", StringComparison.Ordinal), "$1");
        string[] formats = ["MMMM d yyyy", "MMM d yyyy", "MMMM d", "MMM d", "d MMMM yyyy", "d MMM yyyy", "d MMMM", "d MMM"];
        if (!DateTime.TryParseExact(cleaned, formats, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var parsed))
        {
            return null;
        }

        var date = DateOnly.FromDateTime(parsed);
        // "March 3" without a year is the next March 3 (or one that passed in the last month).
        if (!YearPattern().IsMatch(cleaned))
        {
            date = new DateOnly(today.Year, date.Month, Math.Min(date.Day, DateTime.DaysInMonth(today.Year, date.Month)));
            if (date < today.AddDays(-31))
            {
                date = date.AddYears(1);
            }
        }

        return date;
    }

    private const string Month = "(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
    private const string Day = "(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)";

    [GeneratedRegex(
        @"\b(?:by|before|until|due(?:\s+(?:on|by))?|deadline(?:\s+(?:is|of))?(?:\s+on)?|no later than)\s+(?:the\s+)?(?<when>" +
        @"today|tonight|tomorrow|eod|end of (?:the )?(?:day|week|month)|next week|(?:next |this )?" + Day + @"|\d{4}-\d{2}-\d{2}|" +
        Month + @"\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + Month + @"(?:\s+\d{4})?)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant,
        TimeoutMs)]
    private static partial Regex CommitmentPattern();

    [GeneratedRegex(@"(\d)(?:st|nd|rd|th)", RegexOptions.IgnoreCase, TimeoutMs)]
    private static partial Regex OrdinalSuffix();

    [GeneratedRegex(@"\d{4}", RegexOptions.None, TimeoutMs)]
    private static partial Regex YearPattern();
}
