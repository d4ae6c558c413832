using System.Data.Common;
using System.Text.Json;
using Mnemo.Digests;
using Mnemo.Storage;

namespace Mnemo.Language;

/// <summary>Three-pass runs and every pass of them, for inspection.</summary>
public sealed class PromptRunStore(IRecordDatabase store)
{
    public async Task<long> StartAsync(ThreePassRequest request, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO prompt_runs(purpose, task, sources, created_at, outcome) VALUES (@purpose, @task, @sources, @at, 'running') RETURNING id";
        command.Bind("@purpose", request.Purpose);
        command.Bind("@task", request.Task);
        command.Bind("@sources", JsonSerializer.Serialize<IReadOnlyList<long>>([.. request.Sources.Select(s => s.MemoryId)], DigestJsonContext.Default.IReadOnlyListInt64));
        command.Bind("@at", at.ToUnixTimeMilliseconds());
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task AddPassAsync(long runId, PromptPass pass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pass);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO prompt_passes(run_id, pass, prompt, output, input_tokens, output_tokens, latency_ms)
            VALUES (@run, @pass, @prompt, @output, @in, @out, @latency)
            """;
        command.Bind("@run", runId);
        command.Bind("@pass", pass.Name);
        command.Bind("@prompt", pass.Prompt);
        command.Bind("@output", pass.Output);
        command.Bind("@in", (object?)pass.InputTokens ?? DBNull.Value);
        command.Bind("@out", (object?)pass.OutputTokens ?? DBNull.Value);
        command.Bind("@latency", (long)pass.Latency.TotalMilliseconds);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task FinishAsync(long runId, string? result, string? error, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE prompt_runs SET outcome = @outcome, result = @result, error = @error WHERE id = @id";
        command.Bind("@id", runId);
        command.Bind("@outcome", error is null ? "succeeded" : "failed");
        command.Bind("@result", (object?)result ?? DBNull.Value);
        command.Bind("@error", (object?)error ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<ThreePassRun?> GetAsync(long runId, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        ThreePassRun? run;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, purpose, task, sources, created_at, outcome, result, error FROM prompt_runs WHERE id = @id";
            command.Bind("@id", runId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            run = new ThreePassRun(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                JsonSerializer.Deserialize(reader.GetString(3), DigestJsonContext.Default.IReadOnlyListInt64) ?? [],
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                []);
        }

        var passes = new List<PromptPass>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT pass, prompt, output, input_tokens, output_tokens, latency_ms FROM prompt_passes WHERE run_id = @id
                ORDER BY CASE pass WHEN 'draft' THEN 0 WHEN 'critique' THEN 1 ELSE 2 END
                """;
            command.Bind("@id", runId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                passes.Add(Read(reader));
            }
        }

        return run with { Passes = passes };
    }

    private static PromptPass Read(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetInt64(3),
        reader.IsDBNull(4) ? null : reader.GetInt64(4),
        TimeSpan.FromMilliseconds(reader.GetInt64(5)));
}
