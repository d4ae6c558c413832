using System.Security.Cryptography;
using System.Text;

namespace Mnemo.Ingest;

/// <summary>Stable 128-bit keys from SHA-256 (never <see cref="string.GetHashCode()"/>).</summary>
internal static class Hashes
{
    public static byte[] Of(params string?[] parts)
    {
        var text = string.Join('\0', parts.Select(p => p ?? string.Empty));
        return SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16).ToArray();
    }
}
