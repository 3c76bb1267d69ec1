namespace ReverseTunnel.Server.Hosting;

/// <summary>Process exit codes of ws-server.</summary>
public static class ExitCodes
{
    /// <summary>Stopped normally (SIGTERM, Ctrl+C).</summary>
    public const int Success = 0;

    /// <summary>An unexpected error, such as the HTTPS port failing to bind.</summary>
    public const int UnexpectedError = 1;

    /// <summary>The configuration (options, certificate, clients file) is invalid; the problems are printed.</summary>
    public const int InvalidConfiguration = 2;
}
