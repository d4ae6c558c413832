using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Mnemo.Feedback;

/// <summary>A rating that a button carries, once its signature checks out.</summary>
public sealed record SignedRating(FeedbackTarget Target, long TargetId, int Rating, DateTimeOffset Expires);

/// <summary>A button's data was forged, altered, expired or malformed; the message says which (never the key).</summary>
public sealed class CallbackRejectedException : Exception
{
    public CallbackRejectedException()
    {
    }

    public CallbackRejectedException(string message)
        : base(message)
    {
    }

    public CallbackRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The data was genuine but the button is past its lifetime.</summary>
    public bool Expired { get; init; }
}

/// <summary>
/// Telegram callback data for 👍/👎 buttons, within Telegram's 64 bytes:
/// <c>mn:&lt;kind&gt;&lt;id&gt;:&lt;u|d&gt;:&lt;expiry&gt;:&lt;tag&gt;</c>, where the tag is the first 12 bytes
/// of HMAC-SHA256 over the rest with the key from the config (<c>Auth:FeedbackKey</c>), base64url.
/// A button whose data was made up or changed fails the tag; an old one fails the expiry.
/// </summary>
public static class CallbackData
{
    public const string Namespace = "mn";
    public const int MaxBytes = 64;
    private const int TagBytes = 12;

    public static string Sign(FeedbackTarget target, long targetId, int rating, DateTimeOffset expires, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (rating is not (1 or -1))
        {
            throw new ArgumentOutOfRangeException(nameof(rating), rating, "a rating is +1 or -1");
        }

        var body = string.Create(CultureInfo.InvariantCulture, $"{Namespace}:{Letter(target)}{targetId}:{(rating > 0 ? 'u' : 'd')}:{ToBase36(expires.ToUnixTimeSeconds() / 60)}");
        var data = $"{body}:{Tag(body, key)}";
        return Encoding.UTF8.GetByteCount(data) <= MaxBytes ? data : throw new InvalidOperationException("callback data over Telegram's 64 bytes");
    }

    /// <exception cref="CallbackRejectedException">Malformed, forged, altered or expired.</exception>
    public static SignedRating Verify(string data, DateTimeOffset now, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (string.IsNullOrEmpty(data) || data.Length > MaxBytes)
        {
            throw new CallbackRejectedException("callback data is empty or longer than 64 bytes");
        }

        var parts = data.Split(':');
        if (parts.Length != 5 || parts[0] != Namespace || parts[1].Length < 2 || parts[2] is not ("u" or "d"))
        {
            throw new CallbackRejectedException("callback data is not Mnemo's");
        }

        var body = string.Join(':', parts[..4]);
        var expected = Encoding.ASCII.GetBytes(Tag(body, key));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[4])))
        {
            throw new CallbackRejectedException("callback data failed its signature (forged or altered)");
        }

        var target = parts[1][0] switch
        {
            'd' => FeedbackTarget.Digest,
            's' => FeedbackTarget.Signal,
            'm' => FeedbackTarget.Memory,
            'c' => FeedbackTarget.Context,
            _ => throw new CallbackRejectedException("callback data names an unknown kind of target"),
        };
        if (!long.TryParse(parts[1].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || FromBase36(parts[3]) is not { } minutes)
        {
            throw new CallbackRejectedException("callback data is malformed");
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(minutes * 60);
        if (expires < now)
        {
            throw new CallbackRejectedException($"the button expired at {expires:u}") { Expired = true };
        }

        return new SignedRating(target, id, parts[2] == "u" ? 1 : -1, expires);
    }

    private static string Tag(string body, byte[] key)
    {
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(body));
        return System.Buffers.Text.Base64Url.EncodeToString(mac.AsSpan(0, TagBytes));
    }

    private static char Letter(FeedbackTarget target) => target switch
    {
        FeedbackTarget.Digest => 'd',
        FeedbackTarget.Signal => 's',
        FeedbackTarget.Memory => 'm',
        _ => 'c',
    };

    private static string ToBase36(long value)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        var text = new StringBuilder();
        do
        {
            text.Insert(0, digits[(int)(value % 36)]);
            value /= 36;
        }
        while (value > 0);
        return text.ToString();
    }

    private static long? FromBase36(string text)
    {
        if (text.Length is 0 or > 12)
        {
            return null;
        }

        long value = 0;
        foreach (var c in text)
        {
            var digit = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'z' ? c - 'a' + 10 : -1;
            if (digit < 0)
            {
                return null;
            }

            value = (value * 36) + digit;
        }

        return value;
    }
}
