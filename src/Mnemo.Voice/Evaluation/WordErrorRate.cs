using System.Text;
using System.Text.Json;

namespace Mnemo.Voice.Evaluation;

/// <summary>One recording and what was said in it.</summary>
public sealed record SpeechSample(string Audio, string Reference);

/// <summary>
/// Word error rate: word-level edit distance (substitutions, deletions, insertions) over the
/// reference's word count, after lower-casing and dropping punctuation, as WER is usually reported.
/// </summary>
public static class WordErrorRate
{
    public static (int Edits, int ReferenceWords) Count(string reference, string hypothesis)
    {
        var r = Words(reference);
        var h = Words(hypothesis);
        var previous = Enumerable.Range(0, h.Count + 1).ToArray();
        var current = new int[h.Count + 1];
        for (var i = 1; i <= r.Count; i++)
        {
            current[0] = i;
            for (var j = 1; j <= h.Count; j++)
            {
                var substitution = previous[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return (previous[h.Count], r.Count);
    }

    public static IReadOnlyList<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cleaned = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
        {
            cleaned.Append(char.IsLetterOrDigit(c) || c == '\'' ? c : ' ');
        }

        return cleaned.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('\'')).Where(w => w.Length > 0).ToList();
    }

    /// <summary>
    /// The samples of a directory (each audio file with <c>NAME.reference.txt</c> or <c>NAME.txt</c>
    /// beside it, plus any <c>*.json</c> manifests in it) or of one manifest: a JSON array of
    /// <c>{"filename"|"audio", "transcription"|"text"}</c>, paths relative to the manifest.
    /// </summary>
    public static IReadOnlyList<SpeechSample> Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var samples = new List<SpeechSample>();
        if (File.Exists(path))
        {
            samples.AddRange(Manifest(path));
            return samples;
        }

        if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"{path} is neither a directory of recordings nor a manifest");
        }

        foreach (var file in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                samples.AddRange(Manifest(file));
                continue;
            }

            var stem = Path.Combine(path, Path.GetFileNameWithoutExtension(file));
            var reference = new[] { stem + ".reference.txt", stem + ".txt" }.FirstOrDefault(File.Exists);
            if (reference is not null && !file.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
            {
                samples.Add(new SpeechSample(file, File.ReadAllText(reference).Trim()));
            }
        }

        return samples.DistinctBy(s => Path.GetFullPath(s.Audio)).ToList();
    }

    private static List<SpeechSample> Manifest(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not a JSON manifest: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{path}: a manifest is a JSON array of {{\"filename\", \"transcription\"}}");
            }

            var result = new List<SpeechSample>();
            foreach (var item in document.RootElement.EnumerateArray())
            {
                var audio = Text(item, "filename") ?? Text(item, "audio");
                var text = Text(item, "transcription") ?? Text(item, "text");
                if (audio is null || text is null)
                {
                    throw new InvalidDataException($"{path}: every entry needs filename (or audio) and transcription (or text)");
                }

                result.Add(new SpeechSample(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, audio)), text));
            }

            return result;
        }
    }

    private static string? Text(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
