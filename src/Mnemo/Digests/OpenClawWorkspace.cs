using System.Text.Json;

namespace Mnemo.Digests;

/// <summary>
/// Where OpenClaw keeps an agent's workspace, resolved the way OpenClaw 2026.9 does: the agent's
/// own <c>workspace</c> in <c>agents.list</c>; for the default agent <c>agents.defaults.workspace</c>
/// or <c>&lt;state&gt;/workspace</c>; for others <c>&lt;defaults.workspace&gt;/&lt;id&gt;</c> or
/// <c>&lt;state&gt;/workspace-&lt;id&gt;</c>.
/// </summary>
public static partial class OpenClawWorkspace
{
    /// <summary>
    /// Whether an agent id is one OpenClaw could have made (letters, digits, <c>-</c> and <c>_</c>).
    /// Agent ids also arrive through the API; one like <c>../../x</c> must never become a path.
    /// </summary>
    public static bool IsAgentId(string agent) => AgentIdPattern().IsMatch(agent);

    /// <exception cref="ArgumentException">The agent id is not one OpenClaw could have made.</exception>
    public static string Resolve(string stateDirectory, string agent)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(agent);
        if (!IsAgentId(agent))
        {
            throw new ArgumentException($"'{agent}' is not an OpenClaw agent id", nameof(agent));
        }

        string? defaultsWorkspace = null;
        string? agentWorkspace = null;
        var defaultAgent = "main";
        var configPath = Path.Combine(stateDirectory, "openclaw.json");
        if (File.Exists(configPath))
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllText(configPath), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                if (document.RootElement.TryGetProperty("agents", out var agents) && agents.ValueKind == JsonValueKind.Object)
                {
                    if (agents.TryGetProperty("defaults", out var defaults) && defaults.ValueKind == JsonValueKind.Object && defaults.TryGetProperty("workspace", out var w) && w.ValueKind == JsonValueKind.String)
                    {
                        defaultsWorkspace = w.GetString();
                    }

                    if (agents.TryGetProperty("list", out var list) && list.ValueKind == JsonValueKind.Array)
                    {
                        var entries = list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).ToList();
                        var marked = entries.FirstOrDefault(e => e.TryGetProperty("default", out var d) && d.ValueKind == JsonValueKind.True);
                        var first = marked.ValueKind == JsonValueKind.Object ? marked : entries.FirstOrDefault();
                        if (first.ValueKind == JsonValueKind.Object && first.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                        {
                            defaultAgent = id.GetString()!;
                        }

                        var own = entries.FirstOrDefault(e => e.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String && string.Equals(i.GetString(), agent, StringComparison.OrdinalIgnoreCase));
                        if (own.ValueKind == JsonValueKind.Object && own.TryGetProperty("workspace", out var ow) && ow.ValueKind == JsonValueKind.String)
                        {
                            agentWorkspace = ow.GetString();
                        }
                    }
                }
            }
            catch (JsonException)
            {
                // A config OpenClaw itself could not read either: fall back to its defaults.
            }
        }

        if (!string.IsNullOrWhiteSpace(agentWorkspace))
        {
            return ExpandHome(agentWorkspace);
        }

        if (string.Equals(agent, defaultAgent, StringComparison.OrdinalIgnoreCase))
        {
            return string.IsNullOrWhiteSpace(defaultsWorkspace) ? Path.Combine(stateDirectory, "workspace") : ExpandHome(defaultsWorkspace);
        }

        return string.IsNullOrWhiteSpace(defaultsWorkspace)
            ? Path.Combine(stateDirectory, $"workspace-{agent.ToLowerInvariant()}")
            : Path.Combine(ExpandHome(defaultsWorkspace), agent.ToLowerInvariant());
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", System.Text.RegularExpressions.RegexOptions.None, 200)]
    private static partial System.Text.RegularExpressions.Regex AgentIdPattern();

    private static string ExpandHome(string path) =>
        path.StartsWith('~') ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[1..].TrimStart('/', '\\')) : Path.GetFullPath(path);
}
