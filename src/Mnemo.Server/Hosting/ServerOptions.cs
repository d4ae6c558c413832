namespace Mnemo.Server.Hosting;

/// <summary>The HTTP side of <c>mnemo serve</c> (config section <c>Server</c>).</summary>
public sealed class ServerOptions
{
    public const string DefaultUrls = "http://127.0.0.1:7420";

    /// <summary>Where to listen; loopback unless the user says otherwise.</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary>Requests with a larger body are refused with 413.</summary>
    public long MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Other names this server answers to (<c>;</c>-separated: a LAN name, the host a reverse proxy
    /// passes on). Loopback names and the hosts of <see cref="Urls"/> always work; a request naming
    /// any other host is refused (400), so a web page cannot reach the server by DNS rebinding.
    /// Listening on every interface (<c>0.0.0.0</c>) without naming hosts here allows any host.
    /// </summary>
    public string AllowedHosts { get; set; } = string.Empty;

    /// <summary>The host names requests may carry (see <see cref="AllowedHosts"/>); <c>*</c> for any.</summary>
    public IReadOnlyList<string> HostNames(string? webhookUrl = null)
    {
        var extra = AllowedHosts.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var hosts = new List<string> { "localhost", "127.0.0.1", "[::1]" };
        var wildcard = false;
        foreach (var url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var host = url.Split("://", 2) is [_, var rest] ? rest.Split('/', 2)[0] : url;
            host = host.StartsWith('[') ? host[..(host.IndexOf(']', StringComparison.Ordinal) + 1)] : host.Split(':')[0];
            if (host is "0.0.0.0" or "[::]" or "*" or "+")
            {
                wildcard = true;
            }
            else if (host.Length > 0)
            {
                hosts.Add(host);
            }
        }

        if (Uri.TryCreate(webhookUrl, UriKind.Absolute, out var webhook))
        {
            hosts.Add(webhook.Host);
        }

        return wildcard && extra.Length == 0 ? ["*"] : [.. hosts.Concat(extra).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>The bearer token every route but <c>/health/live</c> and <c>/health/ready</c> requires (config section <c>Auth</c>).</summary>
    public string Token { get; set; } = string.Empty;
}
