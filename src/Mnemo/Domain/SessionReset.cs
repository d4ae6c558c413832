namespace Mnemo.Domain;

/// <summary>
/// A session started over under the same id (OpenClaw's <c>/new</c> and <c>/reset</c> append a
/// <c>reset</c> entry to the transcript): everything said before it has left the model's context.
/// </summary>
/// <param name="Agent">Agent id.</param>
/// <param name="Session">Session id.</param>
/// <param name="Sequence">Position of the reset entry in its session; null when only the plugin reported it.</param>
/// <param name="Timestamp">When it happened.</param>
/// <param name="Reason">The host's reason (<c>new</c>, <c>reset</c>, <c>idle</c>, <c>daily</c>, ...), when given.</param>
/// <param name="Origin"><c>transcript</c> or <c>plugin</c>.</param>
public sealed record SessionReset(string Agent, string Session, long? Sequence, DateTimeOffset Timestamp, string? Reason, string Origin);
