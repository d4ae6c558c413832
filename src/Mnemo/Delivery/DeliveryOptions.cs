namespace Mnemo.Delivery;

/// <summary>Where digests and signals go (config section <c>Delivery</c>).</summary>
public sealed record DeliveryOptions
{
    public OpenClawHookOptions OpenClaw { get; set; } = new();

    public TelegramDeliveryOptions Telegram { get; set; } = new();
}
