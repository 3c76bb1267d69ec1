using System.Net;
using Microsoft.Extensions.Options;

namespace ReverseTunnel.Server.Configuration;

/// <summary>
/// Checks <see cref="TunnelOptions"/>. Every problem is reported, each naming the setting, its value
/// and the fix, as YARP's configuration validator does.
/// </summary>
public sealed class TunnelOptionsValidator : IValidateOptions<TunnelOptions>
{
    private static readonly TimeSpan MaxShutdownTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MaxClientsFilePollInterval = TimeSpan.FromHours(1);
    private const long MinBufferedBytes = 1024 * 1024;
    private const long MaxBufferedBytesLimit = 1024L * 1024 * 1024 * 1024;
    private static readonly TimeSpan MinKeepAlive = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxKeepAlive = TimeSpan.FromMinutes(10);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TunnelOptions options)
    {
        IReadOnlyList<string> problems = Validate(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Returns every problem with <paramref name="options"/>; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(TunnelOptions options)
    {
        const string P = TunnelOptions.SectionName + ":";
        var problems = new List<string>();

        if (!IPAddress.TryParse(options.ListenAddress, out _))
        {
            problems.Add($"{P}{nameof(options.ListenAddress)} is '{options.ListenAddress}', which is not an IP address. Use 0.0.0.0 (every IPv4 interface), :: (every interface) or the address of one interface.");
        }

        if (options.ListenPort is < 0 or > 65535)
        {
            problems.Add($"{P}{nameof(options.ListenPort)} is {options.ListenPort}; it must be between 0 and 65535 (0 picks a free port).");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            problems.Add($"{P}{nameof(options.DataDirectory)} is empty; set a folder for the certificate and clients file, such as 'data'.");
        }

        ValidateCertificatePaths(options, problems);

        if (!IPAddress.TryParse(options.TunnelBindAddress, out IPAddress? bindAddress))
        {
            problems.Add($"{P}{nameof(options.TunnelBindAddress)} is '{options.TunnelBindAddress}', which is not an IP address. Use 127.0.0.1 (this machine only) or the address of an internal interface.");
        }
        else if (InternalAddress.IsWildcard(bindAddress))
        {
            problems.Add($"{P}{nameof(options.TunnelBindAddress)} is '{options.TunnelBindAddress}', which opens every tunnel port on every interface, public ones included; tunnels must be reachable from the internal network only. Use 127.0.0.1 (this machine only) or the address of one internal interface.");
        }

        if (!PortSet.TryParse([options.AllowedPorts], out _, out string? portError))
        {
            problems.Add($"{P}{nameof(options.AllowedPorts)} {portError}. Example: 1024-65535 or 5000,6000-6010.");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero || options.ShutdownTimeout > MaxShutdownTimeout)
        {
            problems.Add($"{P}{nameof(options.ShutdownTimeout)} is {options.ShutdownTimeout}; it must be between 00:00:00 and 00:10:00.");
        }

        if (options.ClientsFilePollInterval < TimeSpan.Zero || options.ClientsFilePollInterval > MaxClientsFilePollInterval)
        {
            problems.Add($"{P}{nameof(options.ClientsFilePollInterval)} is {options.ClientsFilePollInterval}; it must be between 00:00:00 (polling off) and 01:00:00.");
        }

        CheckRange(problems, nameof(options.KeepAliveInterval), options.KeepAliveInterval, MinKeepAlive, MaxKeepAlive);
        CheckRange(problems, nameof(options.KeepAliveTimeout), options.KeepAliveTimeout, MinKeepAlive, MaxKeepAlive);

        CheckRange(problems, nameof(options.HandshakeTimeout), options.HandshakeTimeout, TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(5));
        CheckRange(problems, nameof(options.AuthFailureBurst), options.AuthFailureBurst, 1, 100_000);
        CheckRange(problems, nameof(options.AuthFailuresPerMinute), options.AuthFailuresPerMinute, 1, 60_000);
        CheckRange(problems, nameof(options.MaxSessions), options.MaxSessions, 1, 1_000_000);
        CheckRange(problems, nameof(options.MaxSessionsPerClient), options.MaxSessionsPerClient, 1, 100_000);
        CheckRange(problems, nameof(options.MaxStreamsPerSession), options.MaxStreamsPerSession, 1, 1_000_000);
        CheckRange(problems, nameof(options.MaxBufferedBytes), options.MaxBufferedBytes, MinBufferedBytes, MaxBufferedBytesLimit);
        if (options.IdleStreamTimeout != TimeSpan.Zero)
        {
            CheckRange(problems, nameof(options.IdleStreamTimeout), options.IdleStreamTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        }

        if (options.Session is null)
        {
            problems.Add($"{P}{nameof(options.Session)} is missing.");
        }
        else
        {
            problems.AddRange(options.Session.Validate(P + nameof(options.Session) + ":"));
            CheckBufferedBytes(options, problems);
        }

        return problems;
    }

    /// <summary>
    /// The memory the server may be made to buffer is a product of settings; checking it at start
    /// turns "out of memory under attack" into a configuration error naming the settings.
    /// </summary>
    private static void CheckBufferedBytes(TunnelOptions options, List<string> problems)
    {
        const string P = TunnelOptions.SectionName + ":";
        long perSession = (long)options.Session.SessionWindow + options.Session.SendQueueLimit;
        long worst = perSession * options.MaxSessions;
        if (options.MaxSessions > 0 && worst > options.MaxBufferedBytes)
        {
            problems.Add($"{P}{nameof(options.MaxSessions)} ({options.MaxSessions}) × ({P}Session:SessionWindow ({options.Session.SessionWindow}) + {P}Session:SendQueueLimit ({options.Session.SendQueueLimit})) = {worst} octets, " +
                $"more than {P}{nameof(options.MaxBufferedBytes)} ({options.MaxBufferedBytes}): that many agents could make the server buffer more than it allows. " +
                $"Lower {P}{nameof(options.MaxSessions)} or the session window, or raise {P}{nameof(options.MaxBufferedBytes)} if the machine has the memory.");
        }
    }

    private static void CheckRange(List<string> problems, string name, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            problems.Add($"{TunnelOptions.SectionName}:{name} is {value}; it must be between {min} and {max}.");
        }
    }

    private static void CheckRange(List<string> problems, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            problems.Add($"{TunnelOptions.SectionName}:{name} is {value}; it must be between {min:c} and {max:c}.");
        }
    }

    private static void ValidateCertificatePaths(TunnelOptions options, List<string> problems)
    {
        const string P = TunnelOptions.SectionName + ":";
        bool hasCertificate = !string.IsNullOrWhiteSpace(options.CertificatePath);
        bool hasKey = !string.IsNullOrWhiteSpace(options.CertificateKeyPath);
        if (hasKey && !hasCertificate)
        {
            problems.Add($"{P}{nameof(options.CertificateKeyPath)} is set but {P}{nameof(options.CertificatePath)} is not. Set both, or neither to use a generated self-signed certificate.");
        }

        if (hasCertificate && !File.Exists(options.CertificatePath))
        {
            problems.Add($"{P}{nameof(options.CertificatePath)} is '{options.CertificatePath}', but there is no such file (full path: {Path.GetFullPath(options.CertificatePath!)}).");
        }

        if (hasKey && !File.Exists(options.CertificateKeyPath))
        {
            problems.Add($"{P}{nameof(options.CertificateKeyPath)} is '{options.CertificateKeyPath}', but there is no such file (full path: {Path.GetFullPath(options.CertificateKeyPath!)}).");
        }
    }
}
