namespace Mnemo.Voice.Transcription;

/// <summary>The configured engine.</summary>
public static class TranscriberFactory
{
    /// <exception cref="TranscriptionException">The engine cannot start (no model, a bad model).</exception>
    public static ITranscriber Create(VoiceOptions options, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Engine switch
        {
            "openai" => new OpenAiTranscriber(options),
            _ => WhisperTranscriber.Open(options, dataDirectory),
        };
    }
}
