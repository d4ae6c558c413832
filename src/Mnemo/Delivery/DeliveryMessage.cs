namespace Mnemo.Delivery;

/// <summary>A digest or signal on its way to the user.</summary>
/// <param name="Kind"><c>hourly</c>, <c>daily</c>, <c>weekly</c> or <c>signal</c>.</param>
/// <param name="Handle">The digest's or signal's id (<c>d42</c>, <c>s7</c>), for feedback.</param>
/// <param name="Agent">The agent it is about, when it is about one.</param>
public sealed record DeliveryMessage(string Kind, string Handle, string? Agent, string Text);

/// <summary>A way to reach the user.</summary>
public interface IDeliveryChannel
{
    string Name { get; }

    /// <exception cref="HttpRequestException">The channel refused or could not be reached.</exception>
    Task DeliverAsync(DeliveryMessage message, CancellationToken cancellationToken);
}
