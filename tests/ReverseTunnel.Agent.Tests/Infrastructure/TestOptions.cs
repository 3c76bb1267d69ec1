using System.Security.Cryptography.X509Certificates;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Connection;

namespace ReverseTunnel.Agent.Tests.Infrastructure;

/// <summary>Agent options for tests: loopback server and target, short timeouts.</summary>
public static class TestOptions
{
    /// <summary>The token the tests use; asserted never to appear in a log line.</summary>
    public const string Token = "tok-3f1c9a7e-secret";

    /// <summary>Options for a server on 127.0.0.1:<paramref name="serverPort"/>.</summary>
    public static AgentOptions Create(
        int serverPort,
        string serverHost = "127.0.0.1",
        int targetPort = 9,
        byte[]? pin = null,
        X509Certificate2Collection? caCertificates = null,
        bool insecure = false,
        Uri? proxy = null,
        string? noProxy = null,
        TimeSpan? connectTimeout = null,
        TimeSpan? dialTimeout = null,
        TimeSpan? drainTimeout = null,
        TimeSpan? stopTimeout = null) => new()
    {
        TunnelPort = 5000,
        TargetHost = "127.0.0.1",
        TargetPort = targetPort,
        ServerHost = serverHost,
        ServerPort = serverPort,
        Token = Token,
        PinnedCertSha256 = pin,
        CaCertificates = caCertificates ?? [],
        InsecureSkipVerify = insecure,
        Proxy = proxy,
        NoProxy = NoProxyList.Parse(noProxy),
        ServerConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(15),
        DialTimeout = dialTimeout ?? TimeSpan.FromSeconds(5),
        DrainTimeout = drainTimeout ?? TimeSpan.FromSeconds(2),
        StopTimeout = stopTimeout ?? TimeSpan.FromSeconds(8.5),
    };
}
