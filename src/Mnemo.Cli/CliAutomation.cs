using Microsoft.Extensions.Logging;
using Mnemo.Server.Hosting;
using Mnemo.Voice.Queue;

namespace Mnemo.Cli;

/// <summary>The scheduled jobs as <c>mnemo serve</c> has them, for <c>mnemo schedule</c> and <c>mnemo run</c>.</summary>
internal sealed class CliAutomation : IDisposable
{
    private readonly VoiceWorkers _workers;
    private readonly VoiceIntake _intake;

    public CliAutomation(MemoryEngine engine, MnemoSettings settings, ILoggerFactory loggerFactory)
    {
        var time = TimeProvider.System;
        _workers = new VoiceWorkers(engine, VoiceJobStore.For(engine, time), settings.Voice, settings.Memory.DataDirectory, time, loggerFactory.CreateLogger<VoiceWorkers>());
        _intake = new VoiceIntake(_workers, settings.Voice, settings.Memory.DataDirectory, settings.OpenClaw.ResolveStateDirectory(), time, loggerFactory.CreateLogger<VoiceIntake>());
        Automation = Automation.Create(engine, settings.OpenClaw.ResolveStateDirectory(), time, loggerFactory, extraJobs: [new VoiceSweepJob(_intake)]);
    }

    public Automation Automation { get; }

    public void Dispose()
    {
        Automation.Dispose();
        _intake.Dispose();
        _workers.Dispose();
    }
}
