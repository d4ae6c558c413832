using Mnemo.Indexing;
using Mnemo.Ingest;
using Mnemo.Search;

namespace Mnemo;

/// <summary>Everything the memory engine needs to know; defaults live here and nowhere else.</summary>
public sealed record MnemoOptions
{
    /// <summary>Where the database, index files and logs live (<c>--data-dir</c>, <c>MNEMO_DATA_DIR</c>, default <c>~/.mnemo</c>).</summary>
    public required string DataDirectory { get; init; }

    public EmbeddingOptions Embeddings { get; init; } = new();

    /// <summary>Embedded SQLite (default) or a PostgreSQL database shared by several nodes.</summary>
    public StoreOptions Store { get; init; } = new();

    public VectorIndexOptions Index { get; init; } = new();

    public ChunkingOptions Chunking { get; init; } = new();

    public SearchOptions Search { get; init; } = new();

    public Retention.RetentionOptions Retention { get; init; } = new();

    /// <summary>When the built-in jobs run.</summary>
    public Scheduling.ScheduleOptions Schedule { get; init; } = new();

    /// <summary>The chat model for digests and three-pass prompting; none by default.</summary>
    public Language.LanguageModelOptions Model { get; init; } = new();

    public Digests.DigestOptions Digests { get; init; } = new();

    public Signals.SignalOptions Signals { get; init; } = new();

    public Delivery.DeliveryOptions Delivery { get; init; } = new();

    public Feedback.FeedbackOptions Feedback { get; init; } = new();

    public Backups.BackupOptions Backup { get; init; } = new();

    public Health.HealthOptions Health { get; init; } = new();

    /// <summary>How long turns and digests are kept (for good by default).</summary>
    public KeepOptions Keep { get; init; } = new();

    /// <summary>Secrets (on) and personal data (off) cut out of text before it is stored.</summary>
    public Text.RedactionOptions Redaction { get; init; } = new();

    /// <summary>Turns per transaction during ingest.</summary>
    public int IngestBatchSize { get; init; } = 256;

    public string DatabasePath => Path.Combine(DataDirectory, "mnemo.db");

    public string IndexDirectory => Path.Combine(DataDirectory, "index");

    /// <summary>The data directory from the command line, the environment, or the default.</summary>
    public static string ResolveDataDirectory(string? fromCommandLine) =>
        Path.GetFullPath(!string.IsNullOrWhiteSpace(fromCommandLine) ? fromCommandLine
            : Environment.GetEnvironmentVariable("MNEMO_DATA_DIR") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".mnemo"));
}
