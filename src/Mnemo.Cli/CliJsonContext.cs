using System.Text.Json.Serialization;
using Mnemo.Evaluation;

namespace Mnemo.Cli;

/// <summary>Source-generated serialization for everything the CLI prints as JSON.</summary>
[JsonSerializable(typeof(List<HitJson>))]
[JsonSerializable(typeof(IngestJson))]
[JsonSerializable(typeof(StatsJson))]
[JsonSerializable(typeof(EvalReport))]
[JsonSerializable(typeof(List<ScheduleJson>))]
[JsonSerializable(typeof(RunJson))]
[JsonSerializable(typeof(MigrateJson))]
[JsonSerializable(typeof(TranscriptJson))]
[JsonSerializable(typeof(List<ModelJson>))]
[JsonSerializable(typeof(VoiceEvalJson))]
[JsonSerializable(typeof(Commands.BackupJson))]
[JsonSerializable(typeof(List<Commands.BackupJson>))]
[JsonSerializable(typeof(Commands.BackupVerifyJson))]
[JsonSerializable(typeof(Commands.DoctorJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
