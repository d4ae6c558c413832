using System.Runtime.CompilerServices;
using Mnemo.Datasets;
using Mnemo.Domain;

namespace Mnemo.Readers;

/// <summary>Reads the turns of a benchmark file (LoCoMo or LongMemEval) for a plain ingest; gold labels are left out.</summary>
public sealed class DatasetReader(string format) : ITurnReader
{
    public string Format { get; } = format is "locomo" or "longmemeval" ? format : throw new ArgumentException($"unknown dataset format '{format}'", nameof(format));

    public async IAsyncEnumerable<ReadItem> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await Task.Yield();
        var issues = new List<ReadIssue>();
        IReadOnlyList<Turn> turns;
        string? problem = null;
        try
        {
            turns = Format == "locomo"
                ? LocomoDataset.Load(request.Path, request.Agent, issues).SelectMany(c => c.Turns).ToList()
                : LongMemEvalDataset.LoadTurns(request.Path, request.Agent, issues);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException)
        {
            turns = [];
            problem = ex.Message;
        }

        if (problem is not null)
        {
            yield return new IssueRead(new ReadIssue(request.Path, null, $"not a valid {Format} file: {problem}"));
            yield break;
        }

        foreach (var issue in issues)
        {
            yield return new IssueRead(issue);
        }

        foreach (var turn in turns)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new TurnRead(turn);
        }

        // Whole-file formats: the cursor is not used to resume; re-reading is idempotent by entry key.
        yield return new CheckpointRead("complete");
    }
}
