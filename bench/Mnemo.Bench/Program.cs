using Mnemo.Bench;

// Macro benchmark: ingest against the raw model, and search latency at 10k and 100k memories,
// exact against HNSW, and retained context (POST /v1/context), in one process.
// Usage: dotnet run -c Release --project bench/Mnemo.Bench [-- --quick | --search | --context | --digests | --voice | --postgres CONNECTION [--sizes N,...] | --reliability [--kills 50] [--load-seconds 60] [--only crash|load|fuzz|faults] [--output FILE] | --retrieval [--only TEXT] [--dump FILE.jsonl] | --retention [--only compacted|new] [--limit N] [--budget T] [--data DIR] | --sizes N,...]
var quick = args.Contains("--quick");
var locomo = args.SkipWhile(a => a != "--locomo").Skip(1).FirstOrDefault() ?? Path.Combine("..", "shared", "data", "locomo", "locomo10.json");
var sizes = args.SkipWhile(a => a != "--sizes").Skip(1).FirstOrDefault()?.Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
if (args.Contains("--retrieval"))
{
    string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    return await RetrievalBenchmark.RunAsync(locomo, Value("--only"), Value("--dump"));
}

if (args.Contains("--retention"))
{
    string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    int? Number(string name) => Value(name) is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
    return await RetentionBenchmark.RunAsync(locomo, Value("--data"), Value("--only"), Number("--limit"), Number("--budget") ?? 1200);
}

if (args.Contains("--reliability"))
{
    string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    var kills = int.Parse(Value("--kills") ?? "50", System.Globalization.CultureInfo.InvariantCulture);
    var load = TimeSpan.FromSeconds(int.Parse(Value("--load-seconds") ?? "60", System.Globalization.CultureInfo.InvariantCulture));
    return await Mnemo.Bench.ReliabilitySuite.RunAsync(Directory.GetCurrentDirectory(), kills, load, Value("--output") ?? Path.Combine("docs", "reliability.md"), Value("--only"));
}

if (args.SkipWhile(a => a != "--postgres").Skip(1).FirstOrDefault() is { } postgres)
{
    return await Mnemo.Bench.SharedStoreBenchmark.RunAsync(locomo, postgres, sizes ?? [10_000, 100_000]);
}

if (args.Contains("--voice"))
{
    using var embedder = new Mnemo.Embeddings.LocalEmbeddingGenerator();
    await Mnemo.Bench.VoiceBenchmark.RunAsync(Path.Combine("..", "shared", "fixtures", "speech"), embedder);
    return 0;
}

return await MacroBenchmark.RunAsync(locomo, quick, sizes, contextOnly: args.Contains("--context"), digestsOnly: args.Contains("--digests"), searchOnly: args.Contains("--search"), ingestOnly: args.Contains("--ingest"));
