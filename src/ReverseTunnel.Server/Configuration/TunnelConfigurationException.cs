namespace ReverseTunnel.Server.Configuration;

/// <summary>
/// The configuration cannot be used. Carries every problem found, so the operator fixes them all in
/// one go; ws-server prints them and exits with code 2.
/// </summary>
public sealed class TunnelConfigurationException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public TunnelConfigurationException(IReadOnlyList<string> problems)
        : base(Format(problems)) => Problems = problems;

    /// <summary>Each problem, naming the setting and how to fix it.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Format(IReadOnlyList<string> problems)
    {
        string count = problems.Count == 1 ? "1 problem" : $"{problems.Count} problems";
        return $"The configuration is invalid ({count}):{Environment.NewLine}  - "
            + string.Join(Environment.NewLine + "  - ", problems)
            + Environment.NewLine
            + "Set options on the command line (--Tunnel:ListenPort=8443), in the environment (Tunnel__ListenPort=8443) or in appsettings.json.";
    }
}
