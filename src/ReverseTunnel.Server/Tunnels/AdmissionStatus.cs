namespace ReverseTunnel.Server.Tunnels;

/// <summary>The answer of <see cref="SessionAdmission.TryAdmit"/>.</summary>
public enum AdmissionStatus
{
    /// <summary>A slot was taken.</summary>
    Admitted,

    /// <summary><c>Tunnel:MaxSessions</c> is reached.</summary>
    ServerFull,

    /// <summary><c>Tunnel:MaxSessionsPerClient</c> is reached for this client.</summary>
    ClientFull,
}
