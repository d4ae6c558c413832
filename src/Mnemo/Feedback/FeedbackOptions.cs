namespace Mnemo.Feedback;

/// <summary>Who may rate, and how long ratings and buttons last (config section <c>Feedback</c>).</summary>
public sealed record FeedbackOptions
{
    /// <summary>Telegram chats whose 👍/👎 count; none by default, so no chat can rate until one is listed.</summary>
    public IList<long>? AllowedChats { get; set; }

    /// <summary>Ratings are deleted this many days after they were given.</summary>
    public int KeepDays { get; set; } = 30;

    /// <summary>A button stops working this long after it was sent.</summary>
    public TimeSpan ButtonLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The key that signs button data (<c>Auth:FeedbackKey</c>, generated into config.json). Never logged.</summary>
    public string Key { get; set; } = string.Empty;
}
