namespace Mnemo.Storage;

/// <summary>
/// Something Mnemo wrote from memories (digest lines, signals, context notices, pins) that must go
/// when the user forgets them. The engine announces each forget; every owner cleans its own table.
/// </summary>
public interface IForgetListener
{
    /// <summary>The memories with these ids were forgotten by the user (not expired by their keep period).</summary>
    Task OnForgottenAsync(IReadOnlyList<long> memoryIds, CancellationToken cancellationToken);
}
