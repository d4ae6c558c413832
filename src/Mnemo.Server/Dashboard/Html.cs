using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;

namespace Mnemo.Server.Dashboard;

/// <summary>A piece of HTML that is already safe: written by Mnemo, or encoded.</summary>
public readonly record struct Markup(string Value)
{
    public static Markup Empty { get; } = new(string.Empty);

    public static Markup Join(IEnumerable<Markup> parts) => new(string.Concat(parts.Select(p => p.Value)));

    public override string ToString() => Value;
}

/// <summary>
/// HTML written as interpolated strings whose holes are encoded unless they are <see cref="Markup"/>:
/// <c>Html.Of($"&lt;td&gt;{memory.Text}&lt;/td&gt;")</c> cannot emit a transcript's <c>&lt;script&gt;</c>
/// as markup. Hand-written because the dashboard is a few server-rendered pages inside a plain
/// library assembly: Razor would bring the Razor SDK and its static-asset pipeline for them, and a
/// handler that encodes by default makes forgetting to encode impossible rather than unlikely.
/// </summary>
public static class Html
{
    public static Markup Of(ref HtmlHandler html) => html.ToMarkup();

    /// <summary>Text made safe for an element's content or a quoted attribute.</summary>
    public static string Encode(string? text) => HtmlEncoder.Default.Encode(text ?? string.Empty);

    /// <summary>Each item rendered, one after the other.</summary>
    public static Markup Each<T>(IEnumerable<T> items, Func<T, Markup> render) => Markup.Join(items.Select(render));
}

[InterpolatedStringHandler]
public ref struct HtmlHandler
{
    private readonly StringBuilder _builder;

    public HtmlHandler(int literalLength, int formattedCount) => _builder = new StringBuilder(literalLength + (formattedCount * 16));

    public readonly void AppendLiteral(string literal) => _builder.Append(literal);

    public readonly void AppendFormatted(Markup markup) => _builder.Append(markup.Value);

    public readonly void AppendFormatted(string? text) => _builder.Append(Html.Encode(text));

    public readonly void AppendFormatted<T>(T value) => _builder.Append(Html.Encode(Convert.ToString(value, CultureInfo.InvariantCulture)));

    public readonly void AppendFormatted<T>(T value, string format)
        where T : IFormattable => _builder.Append(Html.Encode(value.ToString(format, CultureInfo.InvariantCulture)));

    public readonly Markup ToMarkup() => new(_builder.ToString());
}
