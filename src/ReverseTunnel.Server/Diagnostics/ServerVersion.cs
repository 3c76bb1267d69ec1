using System.Reflection;

namespace ReverseTunnel.Server.Diagnostics;

/// <summary>The product version, from the assembly's informational version without the source revision.</summary>
public static class ServerVersion
{
    /// <summary>Such as <c>0.1.0</c>.</summary>
    public static string Current { get; } = Read();

    private static string Read()
    {
        string? version = typeof(ServerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version))
        {
            return typeof(ServerVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        }

        // The SDK appends "+<commit>"; the health text shows the release only.
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
