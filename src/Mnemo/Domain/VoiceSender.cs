namespace Mnemo.Domain;

/// <summary>
/// Who sent a voice note, as OpenClaw's transcript says: the user message that carried the audio
/// file (<c>__openclaw.media</c>) and whether the owner sent it (<c>__openclaw.senderIsOwner</c>).
/// Mnemo transcribes the file from OpenClaw's <c>media/inbound</c> folder; this tells it whose words
/// they are and which session they belong to.
/// </summary>
/// <param name="FileName">The audio file's name in <c>media/inbound</c>.</param>
/// <param name="Owner">True when the owner sent it, false when someone else did, null when OpenClaw did not say.</param>
public sealed record VoiceSender(string FileName, string Agent, string Session, string EntryId, bool? Owner, DateTimeOffset At);
