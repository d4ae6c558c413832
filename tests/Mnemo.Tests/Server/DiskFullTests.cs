using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mnemo.Tests.Support;

namespace Mnemo.Tests.Server;

/// <summary>
/// The real <c>mnemo serve</c> with its disk full: started under a file-size limit (<c>ulimit -f</c>,
/// SIGXFSZ ignored, so a write past it fails with EFBIG as it would with ENOSPC), which needs no
/// privileges and no small filesystem.
/// </summary>
[Collection(EmbedderGroup.Name)]
public sealed class DiskFullTests(EmbedderFixture embedder)
{
    private const string Token = "disk-full-test-token-0123456789";

    [Fact]
    public async Task Ingest_DiskFull_Answers507StoreFull_HealthSaysSo_AndEverythingAcknowledgedIsThereOnceAfterwards()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // ulimit is a POSIX shell's
        }

        using var dir = new TempDirectory();
        var data = dir.File("data");
        var port = FreePort();
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        // 640 KiB per file: room for the empty store and a few batches. W^X off: the runtime's
        // double-mapped code heap is a file too, and it would not start under the limit.
        info.ArgumentList.Add($"trap '' XFSZ; ulimit -f 640; exec dotnet \"$0\" serve --data-dir \"$1\" --urls http://127.0.0.1:{port}");
        info.ArgumentList.Add(CliProcess.CliDll);
        info.ArgumentList.Add(data);
        info.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        info.Environment["MNEMO_Auth__Token"] = Token;
        info.Environment["MNEMO_OpenClaw__Follow"] = "false";
        info.Environment["MNEMO_Schedule__Enabled"] = "false";
        info.Environment["MNEMO_Voice__Watch"] = "false";
        var acknowledged = new List<string>();
        HttpResponseMessage? full = null;
        string? storeCheck = null;
        using (var process = Process.Start(info)!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
                await WaitReadyAsync(http, process);
                for (var batch = 0; batch < 40 && full is null; batch++)
                {
                    var ids = Enumerable.Range(batch * 20, 20).Select(i => $"t{i}").ToList();
                    var response = await http.PostAsync("/v1/ingest", Body(ids));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged.AddRange(ids);
                        response.Dispose();
                    }
                    else
                    {
                        full = response;
                    }
                }

                Assert.NotNull(full);
                storeCheck = await CheckAsync(http, "store");
                using var search = await http.PostAsync("/v1/search", new StringContent("""{"query":"shelf"}""", Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.OK, search.StatusCode); // reads still work
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        using (full)
        {
            var error = JsonDocument.Parse(await full!.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.InsufficientStorage, full.StatusCode);
            Assert.Equal("store_full", error.GetProperty("error").GetString());
            Assert.Contains("nothing of this request was stored", error.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.NotEmpty(acknowledged);
        Assert.StartsWith("degraded: ", storeCheck, StringComparison.Ordinal);
        Assert.Contains("file-size limit", storeCheck, StringComparison.Ordinal);

        // The limit lifted: everything acknowledged is there once, and ingest works again.
        await using var server = await TestServer.StartAsync(data, embedder);
        var engine = server.Services.GetRequiredService<MemoryEngine>();
        Assert.Equal(acknowledged.Count, (int)(await engine.GetStatsAsync()).Memories);
        using var again = await server.Client.PostAsync("/v1/ingest", Body(["t9000", "t9001"]));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(acknowledged.Count + 2, (int)(await engine.GetStatsAsync()).Memories);
        Assert.Equal("healthy", (await CheckAsync(server.Client, "store"))?.Split(':')[0]);
    }

    private static StringContent Body(IReadOnlyList<string> ids) => new(
        JsonSerializer.Serialize(new { turns = ids.Select(id => new { agent = "main", session = "full", id, role = "user", text = $"Note {id}: the parcel went on shelf {id.Length} " + string.Concat(Enumerable.Repeat($"{id} ", 40)) }) }),
        Encoding.UTF8,
        "application/json");

    private static async Task<string?> CheckAsync(HttpClient http, string name)
    {
        using var health = await http.GetAsync("/health");
        var check = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        return $"{check.GetProperty("status").GetString()}: {check.GetProperty("reason").GetString()}";
    }

    private static async Task WaitReadyAsync(HttpClient http, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            Assert.False(process.HasExited, "mnemo serve exited at start under the file-size limit");
            try
            {
                using var ready = await http.GetAsync("/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        Assert.Fail("mnemo serve was not ready within 90 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
