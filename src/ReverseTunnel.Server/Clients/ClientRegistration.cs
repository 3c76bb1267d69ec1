using ReverseTunnel.Server.Configuration;

namespace ReverseTunnel.Server.Clients;

/// <summary>One registered client: its name, the SHA-256 of its token (never the token) and its ports.</summary>
/// <param name="Name">Name for logs and operators; not a secret.</param>
/// <param name="TokenHash">SHA-256 of the token's UTF-8 octets.</param>
/// <param name="Ports">Ports this client may open.</param>
public sealed record ClientRegistration(string Name, ReadOnlyMemory<byte> TokenHash, PortSet Ports)
{
    /// <summary>Whether this registration holds the token whose hash is <paramref name="tokenHash"/>.</summary>
    public bool HasTokenHash(ReadOnlySpan<byte> tokenHash) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(TokenHash.Span, tokenHash);

    /// <inheritdoc />
    public override string ToString() => Name;
}
