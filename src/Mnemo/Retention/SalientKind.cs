namespace Mnemo.Retention;

/// <summary>Why a sentence is worth bringing back after a compaction.</summary>
[Flags]
public enum SalientKind
{
    None = 0,

    /// <summary>An exact identifier: ticket number, amount, date, URL, path, e-mail, name.</summary>
    Identifier = 1,

    /// <summary>Something decided or agreed.</summary>
    Decision = 2,

    /// <summary>An open request, a TODO, a promise to do something.</summary>
    Request = 4,

    /// <summary>A stated preference or standing instruction.</summary>
    Preference = 8,

    /// <summary>No pattern, but close to what the user is asking now.</summary>
    Relevant = 16,
}
