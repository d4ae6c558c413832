namespace Mnemo.Tests.Support;

/// <summary>Paths to ../shared, the fixtures beside the project (CI has them at the same place).</summary>
public static class SharedData
{
    public static string Root { get; } = FindRoot();

    public static string OpenClawFixtures => Path.Combine(Root, "fixtures", "openclaw");

    /// <summary>Real audio with reference transcripts, and whisper.cpp's test models.</summary>
    public static string Speech(string file) => Path.Combine(Root, "fixtures", "speech", file);

    public static string TicketTranscript => Path.Combine(OpenClawFixtures, "sample-transcript-fa6406af-c1fe-480b-ad13-13d8a9a49230.jsonl");

    public static string WebhookTranscript => Path.Combine(OpenClawFixtures, "sample-transcript-23a46a65-103e-4136-bfdc-2e96c1af5502.jsonl");

    public static string Locomo => Path.Combine(Root, "data", "locomo", "locomo10.json");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "fixtures", "openclaw")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("../shared (fixtures and data) was not found above the test directory");
    }
}
