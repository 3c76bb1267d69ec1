namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>
/// The WebSocket keep-alive both processes are started with: the server's
/// <c>Tunnel:KeepAliveInterval</c>/<c>Tunnel:KeepAliveTimeout</c> and the agent's
/// <c>KEEPALIVE_SECONDS</c>. Null leaves the defaults (15 s + 15 s): a blackholed session is then
/// found within about 30 s instead of about 2 × the interval.
/// </summary>
internal static class KeepAliveSettings
{
    public const string ServerInterval = "Tunnel:KeepAliveInterval";
    public const string ServerTimeout = "Tunnel:KeepAliveTimeout";
    public const string AgentSeconds = "KEEPALIVE_SECONDS";

    /// <summary>What the fault tests that need a dead connection found quickly use.</summary>
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(2);

    public static IEnumerable<string> ServerArguments(TimeSpan? keepAlive) => keepAlive is { } value
        ? [$"--{ServerInterval}={value:c}", $"--{ServerTimeout}={value:c}"]
        : [];

    public static void AddAgentVariables(IDictionary<string, string?> environment, TimeSpan? keepAlive)
    {
        if (keepAlive is { } value)
        {
            environment[AgentSeconds] = ((int)Math.Ceiling(value.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
