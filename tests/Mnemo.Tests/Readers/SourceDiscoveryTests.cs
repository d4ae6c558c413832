using Mnemo.Readers;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Readers;

public sealed class SourceDiscoveryTests
{
    [Fact]
    public void Discover_OpenClawStateDirectory_FindsBothErasAndNothingElse()
    {
        using var dir = new TempDirectory();
        var sessions = Directory.CreateDirectory(Path.Combine(dir.Path, "agents", "alpha", "sessions")).FullName;
        File.Copy(SharedData.TicketTranscript, Path.Combine(sessions, "s1.jsonl"));
        File.Copy(SharedData.TicketTranscript, Path.Combine(sessions, "s0.jsonl.reset.2026-11-01T00-00-00Z"));
        File.Copy(SharedData.TicketTranscript, Path.Combine(sessions, "gone.jsonl.deleted.2026-11-01T00-00-00Z"));
        File.WriteAllText(Path.Combine(sessions, "sessions.json"), """{"agent:alpha:main":{"sessionId":"s1"}}""");
        var db = new OpenClawAgentDatabase(Path.Combine(dir.Path, "agents", "beta", "agent", "openclaw-agent.sqlite"), "beta");
        var plugin = Directory.CreateDirectory(Path.Combine(dir.Path, "extensions", "x", "node_modules", "y")).FullName;
        File.WriteAllText(Path.Combine(plugin, "data.json"), """[{"conversation":{"speaker_a":"A"},"qa":[]}]""");
        File.WriteAllText(Path.Combine(plugin, "log.jsonl"), """{"role":"user","content":"not a transcript"}""");
        File.WriteAllText(Path.Combine(dir.Path, "openclaw.json"), "{}");

        var found = SourceDiscovery.Discover(dir.Path, "auto");

        Assert.Equal(
            [
                (Path.Combine(sessions, "s0.jsonl.reset.2026-11-01T00-00-00Z"), "openclaw"),
                (Path.Combine(sessions, "s1.jsonl"), "openclaw"),
                (db.Path, "openclaw-sqlite"),
            ],
            found);
        Assert.Equal(found, SourceDiscovery.Discover(Path.Combine(dir.Path, "agents"), "auto"));
    }

    [Fact]
    public void Discover_MissingPath_SaysWhichPath()
    {
        var error = Assert.Throws<FileNotFoundException>(() => SourceDiscovery.Discover("/no/such/place", "auto"));

        Assert.Contains("/no/such/place", error.Message, StringComparison.Ordinal);
    }
}
