using System.Globalization;
using System.Text;

namespace Mnemo.Server.Dashboard;

/// <summary>One point of a chart: its label on the x axis and its value.</summary>
public sealed record ChartPoint(string Label, double Value);

/// <summary>
/// Charts as inline SVG drawn on the server: no script and nothing fetched, so they show under the
/// dashboard's content policy (no scripts at all) and on any phone. Each bar or point carries a
/// title with its exact value.
/// </summary>
public static class Charts
{
    private const int Width = 640;
    private const int Height = 200;
    private const int Left = 44;
    private const int Bottom = 28;
    private const int Top = 12;

    /// <summary>A bar chart; <paramref name="format"/> renders a value (axis and titles).</summary>
    public static Markup Bars(string title, IReadOnlyList<ChartPoint> points, Func<double, string> format) =>
        Draw(title, points, format, bars: true);

    /// <summary>A line chart with a dot per point.</summary>
    public static Markup Line(string title, IReadOnlyList<ChartPoint> points, Func<double, string> format) =>
        Draw(title, points, format, bars: false);

    private static Markup Draw(string title, IReadOnlyList<ChartPoint> points, Func<double, string> format, bool bars)
    {
        if (points.Count == 0)
        {
            return Html.Of($"<figure class=\"chart\"><figcaption>{title}</figcaption><p class=\"empty\">nothing yet</p></figure>");
        }

        var max = Math.Max(points.Max(p => p.Value), 1e-9);
        var plotWidth = Width - Left - 8;
        var plotHeight = Height - Top - Bottom;
        var step = (double)plotWidth / points.Count;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart-svg\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Html.Encode(title)}\" preserveAspectRatio=\"xMidYMid meet\">");
        for (var i = 0; i <= 2; i++)
        {
            var y = Top + (plotHeight * i / 2.0);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{Left}\" x2=\"{Width - 8}\" y1=\"{y:F1}\" y2=\"{y:F1}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{Left - 4}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Html.Encode(format(max * (2 - i) / 2))}</text>");
        }

        var labelEvery = Math.Max(1, (int)Math.Ceiling(points.Count / 8.0));
        var line = new StringBuilder();
        for (var i = 0; i < points.Count; i++)
        {
            var point = points[i];
            var x = Left + (step * i);
            var h = plotHeight * point.Value / max;
            var tip = Html.Encode($"{point.Label}: {format(point.Value)}");
            if (bars)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{x + (step * 0.1):F1}\" y=\"{Top + plotHeight - h:F1}\" width=\"{Math.Max(1, step * 0.8):F1}\" height=\"{Math.Max(h, 0.5):F1}\"><title>{tip}</title></rect>");
            }
            else
            {
                var cx = x + (step / 2);
                var cy = Top + plotHeight - h;
                line.Append(CultureInfo.InvariantCulture, $"{cx:F1},{cy:F1} ");
                svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"dot\" cx=\"{cx:F1}\" cy=\"{cy:F1}\" r=\"3\"><title>{tip}</title></circle>");
            }

            if (i % labelEvery == 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{x + (step / 2):F1}\" y=\"{Height - 8}\" text-anchor=\"middle\">{Html.Encode(point.Label)}</text>");
            }
        }

        if (!bars)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"line\" points=\"{line.ToString().TrimEnd()}\"/>");
        }

        svg.Append("</svg>");
        return Html.Of($"<figure class=\"chart\"><figcaption>{title}</figcaption>{new Markup(svg.ToString())}</figure>");
    }
}
