namespace Mnemo.Storage;

/// <summary>What a failed store operation means to the one who asked.</summary>
public enum StoreFailureKind
{
    /// <summary>The store cannot be reached (a shared database down or cut off): try again later.</summary>
    Unavailable,

    /// <summary>Another process holds the database locked: the request can be sent again.</summary>
    Busy,

    /// <summary>The disk is full or a size limit was reached: nothing of the write was stored.</summary>
    Full,
}

/// <summary>A store's exception, recognized: its kind and a message that says what happened and what to do.</summary>
public sealed record StoreFailure(StoreFailureKind Kind, string Message);

/// <summary>
/// Recognizes a store provider's exceptions (its error codes) as <see cref="StoreFailure"/>s, so that
/// hosts answer them without knowing the provider. Each store registers its own.
/// </summary>
public interface IStoreErrorClassifier
{
    /// <summary>The failure <paramref name="exception"/> stands for, or null when it is not one of this store's.</summary>
    StoreFailure? Classify(Exception exception);
}
