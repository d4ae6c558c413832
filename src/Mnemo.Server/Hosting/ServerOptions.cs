namespace Mnemo.Server.Hosting;

/// <summary>The HTTP side of <c>mnemo serve</c> (config section <c>Server</c>).</summary>
public sealed class ServerOptions
{
    public const string DefaultUrls = "http://127.0.0.1:7420";

    /// <summary>Where to listen; loopback unless the user says otherwise.</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary>Requests with a larger body are refused with 413.</summary>
    public long MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>The bearer token every route but <c>/health</c> requires (config section <c>Auth</c>).</summary>
    public string Token { get; set; } = string.Empty;
}
