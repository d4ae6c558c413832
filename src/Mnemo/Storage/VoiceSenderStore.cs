using Mnemo.Domain;

namespace Mnemo.Storage;

/// <summary>The senders of voice notes, by audio file name, as OpenClaw's transcripts name them.</summary>
public sealed class VoiceSenderStore(IRecordDatabase store)
{
    public async Task RecordAsync(VoiceSender sender, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sender);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO voice_senders(file_name, agent, session, entry_id, owner, seen_at) VALUES (@file, @agent, @session, @entry, @owner, @at)
            ON CONFLICT(file_name) DO UPDATE SET owner = COALESCE(excluded.owner, voice_senders.owner)
            """;
        command.Bind("@file", sender.FileName).Bind("@agent", sender.Agent).Bind("@session", sender.Session).Bind("@entry", sender.EntryId)
            .Bind("@owner", sender.Owner is { } owner ? (owner ? 1L : 0L) : null, System.Data.DbType.Int64).Bind("@at", sender.At.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The sender of the audio file of that name, or null when no transcript named it.</summary>
    public async Task<VoiceSender?> FindAsync(string fileName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        await using var connection = await store.OpenRecordConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT agent, session, entry_id, owner, seen_at FROM voice_senders WHERE file_name = @file";
        command.Bind("@file", fileName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new VoiceSender(fileName, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt64(3) == 1, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)));
    }
}
