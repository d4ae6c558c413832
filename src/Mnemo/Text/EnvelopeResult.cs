namespace Mnemo.Text;

/// <summary>A message with its host envelope removed.</summary>
/// <param name="Text">The words that remain.</param>
/// <param name="Untrusted">True when the words came from outside (webhook, e-mail, fetched content).</param>
/// <param name="Skip">True when nothing worth remembering remains (silent replies, heartbeats).</param>
internal readonly record struct EnvelopeResult(string Text, bool Untrusted, bool Skip);
