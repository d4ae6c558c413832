using Microsoft.ML.Tokenizers;

namespace Mnemo.Retention;

/// <summary>
/// Counts tokens as OpenAI's o200k encoding does (the encoding of GPT-4o and later); other
/// models' tokenizers differ by a few percent, which the budget's margin absorbs.
/// </summary>
public static class TokenCounter
{
    private static readonly Lazy<Tokenizer> Tokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public static int Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? 0 : Tokenizer.Value.CountTokens(text);
    }
}
