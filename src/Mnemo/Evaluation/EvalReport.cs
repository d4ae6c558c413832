namespace Mnemo.Evaluation;

/// <summary>The result of <c>mnemo eval</c>; serialized as the JSON contract in DESIGN.md.</summary>
public sealed record EvalReport(
    string Dataset,
    int Questions,
    IReadOnlyDictionary<string, double> Recall,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> ByCategory,
    IReadOnlyDictionary<string, int> CategoryQuestions,
    double IngestSeconds,
    double QueryP50Ms,
    double QueryP95Ms)
{
    /// <summary>Search alone, the query embedding excluded.</summary>
    public double SearchP50Ms { get; init; }

    /// <summary>Search alone, the query embedding excluded.</summary>
    public double SearchP95Ms { get; init; }
}
