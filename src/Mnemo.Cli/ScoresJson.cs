namespace Mnemo.Cli;

/// <summary>The signals behind a hit's score.</summary>
internal sealed record ScoresJson(double? Vector, double? Text, double Neighbour, double Weight, double Recency, double Fused);
