namespace Mnemo.Storage;

/// <summary>
/// A shared store cannot be reached (the database is down, restarting, or the network is gone).
/// Requests fail at once with this instead of hanging; they work again when the store is back.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
