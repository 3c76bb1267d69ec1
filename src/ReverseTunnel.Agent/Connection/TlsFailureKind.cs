namespace ReverseTunnel.Agent.Connection;

/// <summary>Why the server's certificate was refused.</summary>
public enum TlsFailureKind
{
    /// <summary>The chain does not end at a trusted root (self-signed, private CA, missing intermediate, expired).</summary>
    UntrustedCertificate,

    /// <summary>The certificate is not valid for <c>SERVER_IP_DOMAIN</c>.</summary>
    NameMismatch,

    /// <summary>The certificate's fingerprint differs from <c>PINNED_CERT_SHA256</c>.</summary>
    PinMismatch,

    /// <summary>The server sent no certificate.</summary>
    NoCertificate,

    /// <summary>The TLS handshake failed before a certificate was checked (protocol or cipher mismatch, not TLS at all).</summary>
    HandshakeFailed,
}
