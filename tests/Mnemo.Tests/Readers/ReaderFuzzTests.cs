using System.Text;
using CsCheck;
using Mnemo.Datasets;
using Mnemo.Domain;
using Mnemo.Readers;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Readers;

/// <summary>
/// Generated and mutated input for every reader: whatever the bytes, a reader reports problems
/// as issues (or, for whole-file datasets, one clear exception type) and never crashes or hangs.
/// </summary>
public sealed class ReaderFuzzTests
{
    private static readonly byte[][] Seeds =
    [
        .. File.ReadAllLines(SharedData.TicketTranscript).Select(Encoding.UTF8.GetBytes),
        Encoding.UTF8.GetBytes("""{"role":"user","content":"hi","timestamp":"2026-01-01T00:00:00Z","session":"s","agent":"a"}"""),
        Encoding.UTF8.GetBytes("""{"type":"message","id":"x","message":{"role":"user","content":[{"type":"text","text":"a"},{"type":"image"}]}}"""),
        Encoding.UTF8.GetBytes(new string('[', 200) + new string(']', 200)),
    ];

    /// <summary>A seed line with random bytes flipped, cut, or repeated.</summary>
    private static readonly Gen<byte[]> MutatedLine =
        Gen.Select(Gen.Int[0, Seeds.Length - 1], Gen.Int[0, 3], Gen.Int[0, 1_000_000], Gen.Byte.Array[0, 8])
            .Select((seed, operation, position, noise) =>
            {
                var line = Seeds[seed].ToArray();
                var at = line.Length == 0 ? 0 : position % line.Length;
                return operation switch
                {
                    0 => [.. line[..at], .. noise, .. line[at..]],
                    1 => line[..at],
                    2 => [.. line.Select((b, i) => i % 7 == position % 7 ? (byte)(b ^ noise.FirstOrDefault((byte)0x80)) : b)],
                    _ => [.. line, .. line],
                };
            });

    private static readonly Gen<byte[]> File_ = MutatedLine.Array[1, 30].Select(lines => lines.SelectMany(l => l.Append((byte)'\n')).ToArray());

    /// <summary>Inputs per reader: a few hundred in every run; <c>MNEMO_FUZZ_ITERATIONS</c> (10,000 in <c>./test.sh --reliability</c>) for the long run.</summary>
    private static int Iterations(int usual) =>
        int.TryParse(Environment.GetEnvironmentVariable("MNEMO_FUZZ_ITERATIONS"), System.Globalization.CultureInfo.InvariantCulture, out var asked) && asked > 0 ? asked : usual;

    [Fact]
    public void JsonlReaders_MutatedFiles_ReportIssuesAndNeverThrow()
    {
        using var dir = new TempDirectory();
        var tried = 0;
        File_.Sample(bytes =>
        {
            var path = dir.File($"f{Interlocked.Increment(ref tried)}.jsonl");
            File.WriteAllBytes(path, bytes);
            foreach (ITurnReader reader in new ITurnReader[] { new OpenClawJsonlReader(maxLineBytes: 4096), new ChatJsonlReader(maxLineBytes: 4096) })
            {
                var (turns, issues, _) = Items.ReadAllAsync(reader, path).GetAwaiter().GetResult();
                Assert.All(turns, t => Assert.False(string.IsNullOrWhiteSpace(t.Text)));
                Assert.All(issues, i => Assert.Equal(path, i.Source));
            }
        }, iter: Iterations(400), seed: "0000000000020");
        Assert.Equal(Iterations(400), tried);
    }

    [Fact]
    public async Task OpenClawSqliteReader_RandomPayloads_ReportIssuesAndNeverThrow()
    {
        using var dir = new TempDirectory();
        var db = new OpenClawAgentDatabase(dir.File("openclaw-agent.sqlite"), "main");
        var seq = 0L;
        Gen.Select(MutatedLine, Gen.Bool).Sample((bytes, compress) =>
        {
            // CsCheck samples on several threads: each event takes its own position.
            var text = Encoding.UTF8.GetString(bytes);
            var at = Interlocked.Increment(ref seq);
            if (compress)
            {
                db.AddRaw("s", at, bytes);
            }
            else
            {
                db.Add("s", at, text, compress: false);
            }
        }, iter: Iterations(300), seed: "0000000000021");

        var (turns, issues, _) = await Items.ReadAllAsync(new OpenClawSqliteReader(), db.Path);

        Assert.True(turns.Count + issues.Count > 0);
        Assert.All(issues, i => Assert.Equal(db.Path, i.Source));
    }

    [Fact]
    public void DatasetLoaders_MutatedJson_FailWithInvalidDataOrJsonErrorsOnly()
    {
        using var dir = new TempDirectory();
        var locomo = Encoding.UTF8.GetBytes(File.ReadAllText(SharedData.Locomo)[..20_000]);
        var tried = 0;
        Gen.Select(Gen.Int[0, locomo.Length - 1], Gen.Byte).Sample((at, value) =>
        {
            var path = dir.File($"d{Interlocked.Increment(ref tried)}.json");
            var bytes = locomo.ToArray();
            bytes[at] = value;
            File.WriteAllBytes(path, bytes[..Math.Max(1, bytes.Length - (at % 3000))]);
            foreach (var load in new Action[] { () => LocomoDataset.Load(path, null, new List<ReadIssue>()), () => LongMemEvalDataset.Load(path, new List<ReadIssue>()) })
            {
                try
                {
                    load();
                }
                catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException)
                {
                    // The one way a whole-file reader may refuse: a clear error naming what is wrong.
                }
            }
        }, iter: Iterations(200), seed: "0000000000022");
        Assert.Equal(Iterations(200), tried);
    }
}
