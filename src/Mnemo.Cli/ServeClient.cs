using Mnemo.Server.Hosting;

namespace Mnemo.Cli;

/// <summary>How a command reaches a <c>mnemo serve</c> of the same data directory: its first URL on loopback, with its token.</summary>
internal static class ServeClient
{
    /// <summary>The first of <c>Server:Urls</c>, a wildcard host replaced by 127.0.0.1.</summary>
    public static Uri LoopbackAddress(string urls)
    {
        var address = new UriBuilder(urls.Split(';', StringSplitOptions.RemoveEmptyEntries)[0]);
        if (address.Host is "0.0.0.0" or "+" or "*" or "[::]")
        {
            address.Host = "127.0.0.1";
        }

        return address.Uri;
    }

    /// <summary>A client that gives up connecting after 2 s (no serve running) but waits <paramref name="timeout"/> for an answer.</summary>
    public static HttpClient Create(MnemoSettings settings, TimeSpan timeout)
    {
        var http = MnemoHttpClients.Standalone.CreateClient(MnemoHttpClients.Serve);
        http.BaseAddress = LoopbackAddress(settings.Server.Urls);
        http.Timeout = timeout;
        http.DefaultRequestHeaders.Authorization = new("Bearer", settings.Server.Token);
        return http;
    }

    /// <summary>
    /// Whether a <c>mnemo serve</c> of this data directory answers: one at the configured address
    /// that accepts this data directory's token (a serve of another data directory refuses it).
    /// </summary>
    public static async Task<bool> IsRunningAsync(MnemoSettings settings, CancellationToken cancellationToken)
    {
        using var http = Create(settings, TimeSpan.FromSeconds(10));
        try
        {
            using var response = await http.GetAsync(new Uri("/v1/jobs", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
