namespace Mnemo;

/// <summary>
/// How long each kind of data is kept (config section <c>Keep</c>), applied by the daily
/// <c>retention</c> job. Conversations and digests are kept for good unless a number of days is
/// set; ratings follow <c>Feedback:KeepDays</c> and voice audio <c>Voice:KeepAudioDays</c>.
/// </summary>
public sealed record KeepOptions
{
    /// <summary>
    /// Conversation turns (every memory but digests and remembered facts) older than this many days
    /// are forgotten; the digests written from them stay. Null keeps them.
    /// </summary>
    public int? TurnsDays { get; set; }

    /// <summary>Digests older than this many days are deleted, with their searchable copy; null keeps them.</summary>
    public int? DigestsDays { get; set; }

    /// <exception cref="ArgumentException">A period below one day; the message names it.</exception>
    public void Validate()
    {
        if (TurnsDays is < 1)
        {
            throw new ArgumentException($"Keep:TurnsDays: {TurnsDays} must be at least 1 (leave it out to keep conversations for good)");
        }

        if (DigestsDays is < 1)
        {
            throw new ArgumentException($"Keep:DigestsDays: {DigestsDays} must be at least 1 (leave it out to keep digests for good)");
        }
    }
}
