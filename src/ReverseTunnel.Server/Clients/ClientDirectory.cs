namespace ReverseTunnel.Server.Clients;

/// <summary>An immutable snapshot of the registered clients; a reload swaps in a new one.</summary>
public sealed class ClientDirectory
{
    private readonly ClientRegistration[] _clients;

    /// <summary>Creates a snapshot of <paramref name="clients"/>.</summary>
    public ClientDirectory(IEnumerable<ClientRegistration> clients) => _clients = [.. clients];

    /// <summary>The snapshot with no client.</summary>
    public static ClientDirectory Empty { get; } = new([]);

    /// <summary>Every client.</summary>
    public IReadOnlyList<ClientRegistration> Clients => _clients;

    /// <summary>Finds the client holding <paramref name="token"/>.</summary>
    /// <remarks>
    /// Every entry is compared in constant time and the scan never stops early, so the time taken
    /// says nothing about which hash, or how much of it, matched.
    /// </remarks>
    public ClientRegistration? FindByToken(string token) => FindByTokenHash(TokenHasher.Hash(token));

    /// <summary>Finds the client whose token hashes to <paramref name="tokenHash"/>.</summary>
    public ClientRegistration? FindByTokenHash(ReadOnlySpan<byte> tokenHash)
    {
        ClientRegistration? found = null;
        foreach (ClientRegistration client in _clients)
        {
            if (client.HasTokenHash(tokenHash))
            {
                found = client;
            }
        }

        return found;
    }
}
