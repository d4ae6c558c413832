using Microsoft.Extensions.Hosting;
using Mnemo.Voice;
using Mnemo.Voice.Queue;

namespace Mnemo.Server.Live;

/// <summary>Runs the transcription workers inside <c>mnemo serve</c> and watches the voice folders.</summary>
internal sealed class VoiceHost(VoiceWorkers workers, VoiceIntake intake, VoiceOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Watch)
        {
            intake.Watch();
            await intake.SweepAsync(stoppingToken).ConfigureAwait(false);
        }

        await workers.RunAsync(stoppingToken).ConfigureAwait(false);
    }
}
