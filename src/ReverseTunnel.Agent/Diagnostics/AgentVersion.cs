using System.Reflection;

namespace ReverseTunnel.Agent.Diagnostics;

/// <summary>The agent's version, as sent in User-Agent and logged at start.</summary>
public static class AgentVersion
{
    /// <summary>The informational version without the source-revision suffix, e.g. <c>0.1.0</c>.</summary>
    public static string Current { get; } = Read();

    private static string Read()
    {
        string? version = typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version))
        {
            return "0.0.0";
        }

        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
