using Mnemo.Voice.Audio;
using Mnemo.Voice.Transcription;

namespace Mnemo.Tests.Support;

/// <summary>A transcription engine with known output, so tests can follow the words into memory (the test model has no weights).</summary>
internal sealed class ScriptedTranscriber(Func<PcmAudio, string> say) : ITranscriber
{
    public int Calls;

    public string Engine => "scripted";

    public string Model => "test";

    public Task<Mnemo.Voice.Transcription.Transcript> TranscribeAsync(PcmAudio audio, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        var text = say(audio);
        return Task.FromResult(new Mnemo.Voice.Transcription.Transcript(text, "en", [new TranscriptSegment(TimeSpan.Zero, audio.Duration, text)], Engine, Model, audio.Duration));
    }

    public void Dispose()
    {
    }
}
