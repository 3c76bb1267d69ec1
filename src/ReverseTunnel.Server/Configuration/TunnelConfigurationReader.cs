using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Server.Configuration;

/// <summary>
/// Reads <see cref="TunnelOptions"/> from configuration and reports every problem at once: unknown
/// keys (typos), values of the wrong type, and values out of range. The plain binder would stop at
/// the first conversion error and silently ignore a misspelt key.
/// </summary>
public static class TunnelConfigurationReader
{
    /// <summary>Binds and validates the <c>Tunnel</c> section.</summary>
    /// <exception cref="TunnelConfigurationException">Something is wrong; the message lists every problem.</exception>
    public static TunnelOptions Read(IConfiguration configuration)
    {
        IConfigurationSection section = configuration.GetSection(TunnelOptions.SectionName);
        var problems = new List<string>();
        var unusable = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        CheckSection(section, typeof(TunnelOptions), problems, unusable);

        // Values that could not be converted are left out, so the rest is still bound and checked:
        // the operator sees every problem in one go.
        IConfiguration usable = unusable.Count == 0
            ? configuration
            : new ConfigurationBuilder().AddInMemoryCollection(section.AsEnumerable().Where(kv => !unusable.Contains(kv.Key))).Build();
        TunnelOptions options = usable.GetSection(TunnelOptions.SectionName).Get<TunnelOptions>() ?? new TunnelOptions();
        problems.AddRange(TunnelOptionsValidator.Validate(options));
        if (problems.Count > 0)
        {
            throw new TunnelConfigurationException(problems);
        }

        return options;
    }

    private static void CheckSection(IConfigurationSection section, Type type, List<string> problems, HashSet<string> unusable)
    {
        Dictionary<string, PropertyInfo> properties = type
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out PropertyInfo? property))
            {
                problems.Add($"{child.Path} is not a known setting. Known settings of {section.Path}: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}.");
                unusable.Add(child.Path);
                continue;
            }

            if (property.PropertyType == typeof(MuxSessionOptions))
            {
                CheckSection(child, property.PropertyType, problems, unusable);
            }
            else if (child.Value is { } value && !CanConvert(property.PropertyType, value))
            {
                problems.Add($"{child.Path} is '{value}', which is not {Describe(property.PropertyType)}.");
                unusable.Add(child.Path);
            }
        }
    }

    private static bool CanConvert(Type type, string value)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string))
        {
            return true;
        }

        try
        {
            return TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value) is not null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException or NotSupportedException)
        {
            return false;
        }
    }

    private static string Describe(Type type)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(int) || target == typeof(long))
        {
            return "a whole number";
        }

        return target == typeof(TimeSpan) ? "a time span such as 00:00:30 (hh:mm:ss)" : $"a valid {target.Name}";
    }
}
