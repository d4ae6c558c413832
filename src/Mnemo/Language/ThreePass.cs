namespace Mnemo.Language;

/// <summary>A memory offered to the model, cited as <c>[m{MemoryId}]</c>.</summary>
/// <param name="Label">Who and when, shown before the text.</param>
public sealed record PromptSource(long MemoryId, string Label, string Text);

/// <summary>What to write, and from what.</summary>
/// <param name="Purpose">Recorded with the run: <c>digest.hourly</c>, <c>api</c>, <c>mcp</c>.</param>
/// <param name="Task">The instruction: "Summarize the last hour of agent main ...".</param>
public sealed record ThreePassRequest(string Purpose, string Task, IReadOnlyList<PromptSource> Sources);

/// <summary>One pass as sent and received.</summary>
/// <param name="Name"><c>draft</c>, <c>critique</c> or <c>refine</c>.</param>
public sealed record PromptPass(string Name, string Prompt, string Output, long? InputTokens, long? OutputTokens, TimeSpan Latency);

/// <summary>A three-pass run: the passes in order and the refined text.</summary>
public sealed record ThreePassRun(long Id, string Purpose, string Task, IReadOnlyList<long> SourceIds, DateTimeOffset CreatedAt, string Outcome, string? Result, string? Error, IReadOnlyList<PromptPass> Passes)
{
    public string? Draft => Passes.FirstOrDefault(p => p.Name == "draft")?.Output;

    public string? Critique => Passes.FirstOrDefault(p => p.Name == "critique")?.Output;

    public string? Refined => Passes.FirstOrDefault(p => p.Name == "refine")?.Output;
}
