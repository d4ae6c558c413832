using System.Globalization;
using Mnemo.Scheduling;

namespace Mnemo.Voice.Queue;

/// <summary>The scheduled backstop to the folder watch: queue what arrived, delete expired audio.</summary>
public sealed class VoiceSweepJob(VoiceIntake intake) : IScheduledJob
{
    public string Name => JobNames.VoiceSweep;

    public string Description => "queues new voice notes from the inbox and OpenClaw's inbound media, deletes expired audio";

    public async Task<string> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var queued = await intake.SweepAsync(cancellationToken).ConfigureAwait(false);
        var deleted = await intake.DeleteOldAudioAsync(cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture, $"{queued} voice notes queued, {deleted} expired audio files deleted");
    }
}
