using Mnemo.Ingest;
using Mnemo.Storage;

namespace Mnemo.Digests;

/// <summary>
/// Takes forgotten memories out of the digests written from them: their lines leave the digest,
/// whose text and searchable copy are rewritten.
/// </summary>
internal sealed class DigestScrubber(DigestStore digests, MemoryWriter writer) : IForgetListener
{
    public async Task OnForgottenAsync(IReadOnlyList<long> memoryIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memoryIds);
        if (memoryIds.Count == 0)
        {
            return;
        }

        var gone = memoryIds.ToHashSet();
        foreach (var digest in await digests.CitingAsync(memoryIds, cancellationToken).ConfigureAwait(false))
        {
            var lines = digest.Lines.Where(l => !l.MemoryIds.Any(gone.Contains)).ToList();
            var title = digest.Text.Split('\n', 2)[0].Trim().Trim('*');
            var rewritten = digest with { Text = DigestText.Render(title, lines), Lines = lines };
            await digests.ReplaceAsync(digest.Id, rewritten.Text, lines, cancellationToken).ConfigureAwait(false);
            if (digest.MemoryId is not null)
            {
                await writer.IngestAsync(DigestService.SourceKey(digest.Agent), DigestService.Format, [DigestService.AsTurn(rewritten)], cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
