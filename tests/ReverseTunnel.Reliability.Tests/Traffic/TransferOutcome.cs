namespace ReverseTunnel.Reliability.Tests.Traffic;

/// <summary>
/// How a transfer ended, from the client's side. <see cref="Completed"/>, <see cref="Reset"/> and
/// <see cref="Refused"/> are allowed under faults; the rest break the tunnel's promise.
/// </summary>
public enum TransferOutcome
{
    /// <summary>EOF after the full length, and the SHA-256 matches.</summary>
    Completed,

    /// <summary>The client saw a reset (ECONNRESET): the failure was visible.</summary>
    Reset,

    /// <summary>The connect was refused: no agent served the port at that moment.</summary>
    Refused,

    /// <summary>A clean EOF (FIN) before the full length, or without the answer: silent truncation.</summary>
    Truncated,

    /// <summary>EOF with the full length but the wrong SHA-256, or more octets than sent: corruption.</summary>
    Corrupted,

    /// <summary>Nothing ended the transfer within its deadline.</summary>
    Hung,

    /// <summary>An error other than a reset or refusal (detail says which).</summary>
    OtherError,
}
