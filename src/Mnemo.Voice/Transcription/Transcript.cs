namespace Mnemo.Voice.Transcription;

/// <summary>One stretch of speech and its words.</summary>
public sealed record TranscriptSegment(TimeSpan Start, TimeSpan End, string Text);

/// <summary>A transcribed recording, with what made it.</summary>
/// <param name="Language">Detected or configured language, when the engine says.</param>
/// <param name="Engine"><c>whisper.cpp</c> or <c>openai</c>.</param>
/// <param name="Model">The model file's name or the remote model.</param>
public sealed record Transcript(string Text, string? Language, IReadOnlyList<TranscriptSegment> Segments, string Engine, string Model, TimeSpan Duration);

/// <summary>Transcription failed: no model, a model that does not load, an engine error. The message says how to fix it.</summary>
public sealed class TranscriptionException : Exception
{
    public TranscriptionException()
    {
    }

    public TranscriptionException(string message)
        : base(message)
    {
    }

    public TranscriptionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Turns 16 kHz mono speech into text.</summary>
public interface ITranscriber : IDisposable
{
    string Engine { get; }

    string Model { get; }

    /// <exception cref="TranscriptionException">The engine failed.</exception>
    Task<Transcript> TranscribeAsync(Audio.PcmAudio audio, CancellationToken cancellationToken);
}
