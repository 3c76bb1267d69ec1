using System.Security.Cryptography;
using System.Text;

namespace ReverseTunnel.Server.Clients;

/// <summary>Tokens are kept and compared as SHA-256 hashes of their UTF-8 octets, never as text.</summary>
public static class TokenHasher
{
    /// <summary>Length of a hash in octets.</summary>
    public const int HashLength = SHA256.HashSizeInBytes;

    /// <summary>The SHA-256 of <paramref name="token"/>'s UTF-8 octets.</summary>
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The hash as lowercase hex, the form written as <c>tokenSha256</c> in the clients file.</summary>
    public static string HashHex(string token) => Convert.ToHexStringLower(Hash(token));
}
