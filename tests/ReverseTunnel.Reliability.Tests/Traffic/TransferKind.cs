namespace ReverseTunnel.Reliability.Tests.Traffic;

/// <summary>What one client does over its connection.</summary>
public enum TransferKind
{
    /// <summary><c>source</c>: the target sends N octets; the client checks length and SHA-256 at EOF.</summary>
    Download,

    /// <summary><c>sink</c>: the client sends N octets and a FIN; the target answers their SHA-256.</summary>
    Upload,

    /// <summary><c>echo</c>: the client sends N octets while reading them back; checks at EOF.</summary>
    Echo,
}
