using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mnemo.Server.Api;

// The HTTP API's wire types. Requests use nullable members so that a missing field gets a clear
// 400 that names it instead of a default value.

public sealed record ErrorJson(string Error, string Detail, string? Field = null);

/// <param name="Status"><c>healthy</c>, <c>degraded</c> or <c>unhealthy</c>: the worst of the checks.</param>
public sealed record HealthJson(string Status, string Version, List<HealthCheckJson> Checks);

/// <summary>What the open health routes say: only the status.</summary>
public sealed record HealthStatusJson(string Status);

public sealed record HealthCheckJson(string Name, string Status, string Reason, double DurationMs);

public sealed record TurnJson(
    string? Agent, string? Session, string? Id, string? ParentId, string? Role, string? Text,
    DateTimeOffset? Timestamp, string? Speaker, bool? Untrusted);

public sealed record IngestRequestJson(List<TurnJson>? Turns, string? Source);

public sealed record IngestResponseJson(long Turns, long Added, long Updated, long Unchanged);

/// <summary>Turns accepted into the shared work queue (<c>POST /v1/ingest?queued=true</c>); a node stores them shortly.</summary>
public sealed record QueuedJson(long Queued, long Turns);

public sealed record SearchRequestJson(string? Query, int? K, string? Agent, string? Session, DateTimeOffset? Since, DateTimeOffset? Until);

public sealed record MemoryJson(long Id, string Agent, string Session, string EntryId, string Role, string Text, DateTimeOffset? Timestamp, string Source, bool Untrusted, string? Speaker);

public sealed record HitJson(MemoryJson Memory, double Score, string Snippet);

public sealed record SearchResponseJson(List<HitJson> Hits);

public sealed record ContextRequestJson(string? SessionKey, string? SessionId, string? AgentId, string? Prompt, List<string>? Messages, int? TokenBudget);

public sealed record ContextItemJson(string Origin, string Kind, string Text, long MemoryId, DateTimeOffset? Timestamp, string Session, string Role, bool Untrusted, int Line);

public sealed record ContextResponseJson(string Text, int Tokens, long? CompactionId, List<ContextItemJson> Items, double ElapsedMs);

public sealed record CompactionJson(
    long Id, string Agent, string Session, string? SessionKey, string? EntryId, DateTimeOffset At, long? TokensBefore, long? TokensAfter,
    string? Summary, string? FirstKeptEntryId, long? FromSeq, long? ToSeq, List<string> ReadFiles, List<string> ModifiedFiles,
    string? LatestUnresolvedRequest, string Origin, DateTimeOffset RecordedAt);

public sealed record CompactionListJson(List<CompactionJson> Compactions);

public sealed record EventResponseJson(string Kind, bool Accepted, long? CompactionId);

public sealed record RememberRequestJson(string? Agent, string? Text);

public sealed record ForgetResponseJson(List<long> Forgotten);

/// <summary>What to forget: ids, or filters (all must hold), or a search query within them; a dry run only lists.</summary>
public sealed record ForgetRequestJson(List<long>? Ids, string? Agent, string? Session, DateTimeOffset? Since, DateTimeOffset? Until, string? Query, int? Limit, bool? DryRun);

public sealed record ForgetPreviewJson(long Id, string Agent, string Session, string Role, DateTimeOffset? Timestamp, string Preview);

public sealed record ForgetSelectionJson(bool DryRun, int Matched, List<ForgetPreviewJson> Memories, List<long> Forgotten);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(HealthJson))]
[JsonSerializable(typeof(HealthStatusJson))]
[JsonSerializable(typeof(IngestRequestJson))]
[JsonSerializable(typeof(IngestResponseJson))]
[JsonSerializable(typeof(QueuedJson))]
[JsonSerializable(typeof(SearchRequestJson))]
[JsonSerializable(typeof(SearchResponseJson))]
[JsonSerializable(typeof(ContextRequestJson))]
[JsonSerializable(typeof(ContextResponseJson))]
[JsonSerializable(typeof(CompactionListJson))]
[JsonSerializable(typeof(EventResponseJson))]
[JsonSerializable(typeof(RememberRequestJson))]
[JsonSerializable(typeof(MemoryJson))]
[JsonSerializable(typeof(ForgetResponseJson))]
[JsonSerializable(typeof(ForgetRequestJson))]
[JsonSerializable(typeof(ForgetSelectionJson))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class ApiJsonContext : JsonSerializerContext;

public sealed record DigestLineJson(string Section, string Text, List<long> MemoryIds);

public sealed record DigestJson(
    long Id, string Handle, string Kind, string Agent, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, string Method, string Text,
    List<DigestLineJson> Lines, int Sources, long? MemoryId, long? PromptRunId, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt);

public sealed record DigestListJson(List<DigestJson> Digests);

public sealed record SignalJson(
    long Id, string Handle, string Kind, string Severity, string Title, List<string> Agents, List<long> Evidence, DateTimeOffset? DueAt,
    DateTimeOffset FirstSeen, DateTimeOffset LastSeen, int Detections, DateTimeOffset? DeliveredAt);

public sealed record SignalListJson(List<SignalJson> Signals);

public sealed record ThreePassRequestJson(string? Task, string? Query, List<long>? MemoryIds, string? Agent, int? K);

public sealed record PromptPassJson(string Name, string Prompt, string Output, long? InputTokens, long? OutputTokens, double LatencyMs);

public sealed record ThreePassJson(
    long Id, string Purpose, string Task, List<long> Sources, DateTimeOffset CreatedAt, string Outcome, string? Draft, string? Critique, string? Refined,
    string? Error, List<PromptPassJson> Passes);

public sealed record JobJson(
    string Name, string Description, string? Cron, bool Enabled, bool Available, DateTimeOffset? NextRun, DateTimeOffset? LastStarted,
    DateTimeOffset? LastFinished, double? LastDurationMs, string? LastOutcome, string? LastDetail, int Failures);

public sealed record JobListJson(string TimeZone, List<JobJson> Jobs);

public sealed record JobRunJson(string Job, string Trigger, int Attempt, DateTimeOffset Started, DateTimeOffset Finished, bool Succeeded, string Detail);

public sealed record FeedbackRequestJson(
    string? CallbackData, string? CallbackQueryId, long? ChatId, string? User, string? Target, long? TargetId, string? Rating, string? Comment, string? Channel);

/// <param name="Toast">What to show the user for a button tap.</param>
/// <param name="Buttons">For a tap: the buttons to redraw under the message, the recorded vote marked.</param>
public sealed record FeedbackResponseJson(string Target, long TargetId, string Rating, bool Changed, string? Toast, IReadOnlyList<FeedbackButtonJson>? Buttons);

public sealed record FeedbackButtonJson(string Text, string CallbackData);

public sealed record FeedbackWeekJson(string Week, string Target, int Up, int Down, double Approval);

public sealed record FeedbackWeeksJson(List<FeedbackWeekJson> Weeks);

public sealed record TranscriptionJson(string Text, string? Language, double? Duration, long JobId, long? MemoryId);

public sealed record OpenAiErrorBodyJson(string Message, string Type, string? Param);

public sealed record OpenAiErrorJson(OpenAiErrorBodyJson Error);

public sealed record VoiceJobJson(
    long Id, string Path, string Origin, string? Agent, string? Session, string Status, int Attempts, string? Error, DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt, long? MemoryId, double? DurationSeconds, string? Language, string? Engine, string? Model);

public sealed record VoiceJobListJson(long Queued, long Running, long Done, long Failed, List<VoiceJobJson> Jobs);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(TranscriptionJson))]
[JsonSerializable(typeof(FeedbackRequestJson))]
[JsonSerializable(typeof(FeedbackResponseJson))]
[JsonSerializable(typeof(FeedbackWeeksJson))]
[JsonSerializable(typeof(OpenAiErrorJson))]
[JsonSerializable(typeof(VoiceJobListJson))]
[JsonSerializable(typeof(DigestJson))]
[JsonSerializable(typeof(DigestListJson))]
[JsonSerializable(typeof(SignalListJson))]
[JsonSerializable(typeof(ThreePassRequestJson))]
[JsonSerializable(typeof(ThreePassJson))]
[JsonSerializable(typeof(JobListJson))]
[JsonSerializable(typeof(JobRunJson))]
public sealed partial class AutomationJsonContext : JsonSerializerContext;
