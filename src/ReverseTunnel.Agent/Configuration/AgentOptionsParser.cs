using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Agent.Connection;

namespace ReverseTunnel.Agent.Configuration;

/// <summary>
/// Turns the environment and the command line into <see cref="AgentOptions"/>. Every problem is
/// collected, so one start reports them all. The environment is passed in as a dictionary so tests
/// never touch the process environment. The token's value never appears in a message.
/// </summary>
public static class AgentOptionsParser
{
    private const int MaxShownValueLength = 64;

    /// <summary>Parses <paramref name="args"/> and <paramref name="environment"/>; a flag overrides its variable.</summary>
    public static OptionsParseResult Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment)
    {
        var commandLine = new AgentCommandLine();
        ParseResult result = commandLine.Parse(args);
        if (result.Errors.Count > 0)
        {
            return new OptionsParseResult(null, [.. result.Errors.Select(e => e.Message)]);
        }

        return Parse(commandLine, result, environment);
    }

    /// <summary>Builds options from an already parsed command line and <paramref name="environment"/>.</summary>
    public static OptionsParseResult Parse(AgentCommandLine commandLine, ParseResult result, IReadOnlyDictionary<string, string?> environment)
    {
        var errors = new List<string>();
        string? Raw(AgentSetting setting)
        {
            string? value = commandLine.GetFlagValue(result, setting);
            if (string.IsNullOrWhiteSpace(value))
            {
                value = Lookup(environment, setting.Variable);
            }

            if (string.IsNullOrWhiteSpace(value) && setting.AlternateVariable is not null)
            {
                value = Lookup(environment, setting.AlternateVariable);
            }

            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        int tunnelPort = RequiredPort(errors, AgentSettings.TunnelPort, Raw(AgentSettings.TunnelPort), "the port ws-server should open for this tunnel");
        string targetHost = RequiredHost(errors, AgentSettings.ClientSideDomain, Raw(AgentSettings.ClientSideDomain), "the host of the service to expose, e.g. jira.internal");
        int targetPort = RequiredPort(errors, AgentSettings.ClientSidePort, Raw(AgentSettings.ClientSidePort), "the port of the service to expose");
        string serverHost = RequiredHost(errors, AgentSettings.ServerIpDomain, Raw(AgentSettings.ServerIpDomain), "the host name or IP of ws-server, without https://");
        string token = Token(errors, Raw(AgentSettings.ClientUuid));
        int serverPort = OptionalPort(errors, AgentSettings.ServerPort, Raw(AgentSettings.ServerPort), 443);
        (string? caFile, X509Certificate2Collection caCertificates) = CaFile(errors, Raw(AgentSettings.CaFile));
        byte[]? pin = Pin(errors, Raw(AgentSettings.PinnedCertSha256));
        bool insecure = Boolean(errors, AgentSettings.InsecureSkipVerify, Raw(AgentSettings.InsecureSkipVerify));
        Uri? proxy = Proxy(errors, Raw(AgentSettings.Proxy));
        NoProxyList noProxy = NoProxyList.Parse(Raw(AgentSettings.NoProxy));
        LogLevel logLevel = Level(errors, Raw(AgentSettings.LogLevel));
        int dialTimeout = Seconds(errors, AgentSettings.DialTimeoutSeconds, Raw(AgentSettings.DialTimeoutSeconds), 10, 1, 300);
        int maxDelay = Seconds(errors, AgentSettings.ReconnectMaxDelaySeconds, Raw(AgentSettings.ReconnectMaxDelaySeconds), 30, 30, 60);
        int keepAlive = Seconds(errors, AgentSettings.KeepAliveSeconds, Raw(AgentSettings.KeepAliveSeconds), 15, 2, 300);
        int maxStreams = Number(errors, AgentSettings.MaxStreams, Raw(AgentSettings.MaxStreams), 16_384, 1, 65_536);
        int idleTimeout = Seconds(errors, AgentSettings.IdleStreamTimeoutSeconds, Raw(AgentSettings.IdleStreamTimeoutSeconds), 0, 0, 604_800);
        if (insecure && pin is not null)
        {
            errors.Add("INSECURE_SKIP_VERIFY=true and PINNED_CERT_SHA256 contradict each other: keep the pin (it is the secure option) and unset INSECURE_SKIP_VERIFY.");
        }

        if (errors.Count > 0)
        {
            return new OptionsParseResult(null, errors);
        }

        return new OptionsParseResult(
            new AgentOptions
            {
                TunnelPort = tunnelPort,
                TargetHost = targetHost,
                TargetPort = targetPort,
                ServerHost = serverHost,
                ServerPort = serverPort,
                Token = token,
                CaFile = caFile,
                CaCertificates = caCertificates,
                PinnedCertSha256 = pin,
                InsecureSkipVerify = insecure,
                Proxy = proxy,
                NoProxy = noProxy,
                LogLevel = logLevel,
                DialTimeout = TimeSpan.FromSeconds(dialTimeout),
                ReconnectMaxDelay = TimeSpan.FromSeconds(maxDelay),
                KeepAlive = TimeSpan.FromSeconds(keepAlive),
                MaxStreams = maxStreams,
                IdleStreamTimeout = TimeSpan.FromSeconds(idleTimeout),
            },
            errors);
    }

    private static string? Lookup(IReadOnlyDictionary<string, string?> environment, string name) =>
        environment.TryGetValue(name, out string? value) ? value : null;

    private static string Named(AgentSetting setting) => $"{setting.Variable} ({setting.Flag})";

    private static string Show(string value) =>
        value.Length <= MaxShownValueLength ? $"'{value}'" : $"'{value[..MaxShownValueLength]}...'";

    private static int RequiredPort(List<string> errors, AgentSetting setting, string? raw, string meaning)
    {
        if (raw is null)
        {
            errors.Add($"{Named(setting)} is not set: set it to {meaning} (1-65535).");
            return 0;
        }

        return Port(errors, setting, raw);
    }

    private static int OptionalPort(List<string> errors, AgentSetting setting, string? raw, int defaultValue) =>
        raw is null ? defaultValue : Port(errors, setting, raw);

    private static int Port(List<string> errors, AgentSetting setting, string raw)
    {
        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535)
        {
            return port;
        }

        errors.Add($"{Named(setting)} is {Show(raw)}: it must be a whole number from 1 to 65535.");
        return 0;
    }

    private static string RequiredHost(List<string> errors, AgentSetting setting, string? raw, string meaning)
    {
        if (raw is null)
        {
            errors.Add($"{Named(setting)} is not set: set it to {meaning}.");
            return string.Empty;
        }

        if (!HostName.TryNormalize(raw, out string host))
        {
            errors.Add($"{Named(setting)} is {Show(raw)}: it must be a host name or IP address only, without scheme, port or path (e.g. jira.internal or 10.0.0.5).");
            return string.Empty;
        }

        return host;
    }

    // The longest token ws-server accepts in the Authorization header (TunnelRequest.MaxTokenLength).
    private const int MaxTokenLength = 1024;

    private static string Token(List<string> errors, string? raw)
    {
        if (raw is null)
        {
            errors.Add($"{Named(AgentSettings.ClientUuid)} is not set: set it to the token issued for this agent by the platform operator.");
            return string.Empty;
        }

        if (raw.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            // The value itself is a secret: describe the problem, never show it.
            errors.Add($"{Named(AgentSettings.ClientUuid)} contains whitespace or control characters (value not shown): set it to the token exactly as issued.");
            return string.Empty;
        }

        if (raw.Length > MaxTokenLength)
        {
            // ws-server answers a longer token with 400 on every attempt: fail now, with the reason.
            errors.Add($"{Named(AgentSettings.ClientUuid)} is {raw.Length} characters long (value not shown); ws-server accepts at most {MaxTokenLength}: set it to the token exactly as issued.");
            return string.Empty;
        }

        return raw;
    }

    private static (string? Path, X509Certificate2Collection Certificates) CaFile(List<string> errors, string? raw)
    {
        if (raw is null)
        {
            return (null, []);
        }

        if (!CaBundle.TryLoad(raw, out X509Certificate2Collection certificates, out string? error))
        {
            errors.Add($"{Named(AgentSettings.CaFile)} is invalid: {error}.");
            return (null, []);
        }

        return (raw, certificates);
    }

    private static byte[]? Pin(List<string> errors, string? raw)
    {
        if (raw is null)
        {
            return null;
        }

        if (!CertificatePin.TryParse(raw, out byte[] pin, out int digits))
        {
            errors.Add($"{Named(AgentSettings.PinnedCertSha256)} must be 64 hex digits (colons allowed), the SHA-256 fingerprint of the server certificate " +
                $"as printed by 'openssl x509 -noout -fingerprint -sha256 -in server.crt'; it has {digits} characters that are not all hex digits or not 64 of them.");
            return null;
        }

        return pin;
    }

    private static bool Boolean(List<string> errors, AgentSetting setting, string? raw)
    {
        switch (raw?.ToLowerInvariant())
        {
            case null or "false" or "0" or "no" or "off":
                return false;
            case "true" or "1" or "yes" or "on":
                return true;
            default:
                errors.Add($"{Named(setting)} is {Show(raw)}: it must be true or false.");
                return false;
        }
    }

    private static Uri? Proxy(List<string> errors, string? raw)
    {
        if (raw is null)
        {
            return null;
        }

        // curl and friends accept "proxy:3128" without a scheme; so do we.
        string text = raw.Contains("://", StringComparison.Ordinal) ? raw : "http://" + raw;
        if (Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0)
        {
            return uri;
        }

        // The value may hold a proxy password: name the setting, never echo it.
        errors.Add($"{Named(AgentSettings.Proxy)} (or https_proxy) is not a valid proxy URL (value not shown): use http://host:port, optionally http://user:password@host:port.");
        return null;
    }

    private static LogLevel Level(List<string> errors, string? raw)
    {
        if (raw is null)
        {
            return LogLevel.Information;
        }

        string normalized = raw.ToLowerInvariant() switch
        {
            "info" => nameof(LogLevel.Information),
            "warn" => nameof(LogLevel.Warning),
            _ => raw,
        };
        if (!normalized.All(char.IsAsciiLetter) || !Enum.TryParse(normalized, ignoreCase: true, out LogLevel level))
        {
            errors.Add($"{Named(AgentSettings.LogLevel)} is {Show(raw)}: use Trace, Debug, Information, Warning, Error, Critical or None.");
            return LogLevel.Information;
        }

        return level;
    }

    private static int Number(List<string> errors, AgentSetting setting, string? raw, int defaultValue, int min, int max)
    {
        if (raw is null)
        {
            return defaultValue;
        }

        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max)
        {
            return value;
        }

        errors.Add($"{Named(setting)} is {Show(raw)}: it must be a whole number from {min} to {max}.");
        return defaultValue;
    }

    private static int Seconds(List<string> errors, AgentSetting setting, string? raw, int defaultValue, int min, int max)
    {
        if (raw is null)
        {
            return defaultValue;
        }

        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds >= min && seconds <= max)
        {
            return seconds;
        }

        errors.Add($"{Named(setting)} is {Show(raw)}: it must be a whole number of seconds from {min} to {max}.");
        return defaultValue;
    }
}
