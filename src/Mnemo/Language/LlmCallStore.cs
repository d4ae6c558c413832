using System.Data.Common;
using Mnemo.Storage;

namespace Mnemo.Language;

/// <summary>One model call as recorded: purpose, tokens, cost, latency, outcome. Never the text.</summary>
public sealed record LlmCall(DateTimeOffset At, string Purpose, string Provider, string? Model, long? InputTokens, long? OutputTokens, decimal? Cost, TimeSpan Latency, bool Succeeded, string? Error);

/// <summary>Totals over a period, for <c>mnemo stats</c> and health.</summary>
public sealed record LlmUsage(long Calls, long Failed, long InputTokens, long OutputTokens, decimal Cost);

/// <summary>Model calls in the store.</summary>
public sealed class LlmCallStore(IRecordDatabase store)
{
    public async Task RecordAsync(LlmCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO llm_calls(at, purpose, provider, model, input_tokens, output_tokens, cost, latency_ms, outcome, error)
            VALUES (@at, @purpose, @provider, @model, @in, @out, @cost, @latency, @outcome, @error)
            """;
        command.Bind("@at", call.At.ToUnixTimeMilliseconds());
        command.Bind("@purpose", call.Purpose);
        command.Bind("@provider", call.Provider);
        command.Bind("@model", (object?)call.Model ?? DBNull.Value);
        command.Bind("@in", (object?)call.InputTokens ?? DBNull.Value);
        command.Bind("@out", (object?)call.OutputTokens ?? DBNull.Value);
        command.Bind("@cost", call.Cost is { } cost ? (double)cost : DBNull.Value);
        command.Bind("@latency", (long)call.Latency.TotalMilliseconds);
        command.Bind("@outcome", call.Succeeded ? "succeeded" : "failed");
        command.Bind("@error", (object?)call.Error ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<LlmCall>> ListAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        var calls = new List<LlmCall>();
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT at, purpose, provider, model, input_tokens, output_tokens, cost, latency_ms, outcome, error FROM llm_calls WHERE at >= @since ORDER BY id LIMIT @limit";
        command.Bind("@since", since.ToUnixTimeMilliseconds());
        command.Bind("@limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            calls.Add(new LlmCall(
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.IsDBNull(6) ? null : (decimal)reader.GetDouble(6),
                TimeSpan.FromMilliseconds(reader.GetInt64(7)),
                reader.GetString(8) == "succeeded",
                reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        return calls;
    }

    public async Task<LlmUsage> UsageAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*), COUNT(*) FILTER (WHERE outcome = 'failed'), CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(cost), 0) AS DOUBLE PRECISION)
            FROM llm_calls WHERE at >= @since
            """;
        command.Bind("@since", since.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new LlmUsage(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), (decimal)reader.GetDouble(4));
    }
}
