using Mnemo.Domain;

namespace Mnemo.Tests.Support;

/// <summary>Crafted multi-agent conversations for digest and signal tests.</summary>
public sealed class Chat
{
    private readonly List<Turn> _turns = [];

    public Chat Say(string agent, string session, string role, string text, DateTimeOffset at, bool untrusted = false)
    {
        var sequence = _turns.Count(t => t.Agent == agent && t.Session == session);
        var provenance = untrusted ? TurnProvenance.Default with { Untrusted = true } : TurnProvenance.Default;
        _turns.Add(new Turn(agent, session, $"{session}-{sequence}", null, role, text, at, "test", sequence, provenance));
        return this;
    }

    public async Task IngestAsync(MemoryEngine engine)
    {
        await engine.IngestTurnsAsync("chat", "test", _turns);
    }
}
