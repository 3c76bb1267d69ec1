using System.Net;
using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using ReverseTunnel.Server.Certificates;
using ReverseTunnel.Server.Configuration;

namespace ReverseTunnel.Server.Hosting;

/// <summary>Kestrel for an internet-facing endpoint: one HTTPS listener, TLS 1.2+, tight request limits.</summary>
internal static class KestrelSetup
{
    /// <summary>
    /// Runs Kestrel's transport continuations on the socket thread that completed them, as ws-server's
    /// own sockets do (<see cref="Protocol.Bridging.InlineSocketCompletions"/>). Without it every send
    /// and receive of an agent's WebSocket hopped through Kestrel's IOQueue to a pool thread, and the
    /// pool's idle workers spun in sched_yield: ~19% of ws-server's CPU under iperf3 (perf, 2 cores).
    /// No code on these paths blocks. Any value of DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS but 1 turns both off.
    /// </summary>
    public static void ConfigureSockets(SocketTransportOptions sockets) =>
        sockets.UnsafePreferInlineScheduling = Protocol.Bridging.InlineSocketCompletions.IsEnabled;

    public static void Configure(KestrelServerOptions kestrel, TunnelOptions options)
    {
        kestrel.AddServerHeader = false;

        // Agents send a handful of small headers; nothing here takes a request body.
        kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        kestrel.Limits.MaxRequestHeaderCount = 64;
        // Slowloris: a client that trickles its headers is cut off after Tunnel:HandshakeTimeout
        // (checked on Kestrel's 1 s heartbeat), before any tunnel code sees the request.
        kestrel.Limits.RequestHeadersTimeout = options.HandshakeTimeout;
        kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(60);
        kestrel.Limits.MaxRequestBodySize = 64 * 1024;

        ServerCertificateProvider certificates = kestrel.ApplicationServices.GetRequiredService<ServerCertificateProvider>();
        kestrel.Listen(IPAddress.Parse(options.ListenAddress), options.ListenPort, listen =>
        {
            // HTTP/1.1 only: ws-agent upgrades over HTTP/1.1, and a WebSocket inside an HTTP/2 stream
            // would add a second flow-control layer under the session's own.
            listen.Protocols = HttpProtocols.Http1;
            listen.UseHttps(https =>
            {
                https.ServerCertificate = certificates.Load();
                https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                https.HandshakeTimeout = options.HandshakeTimeout;
            });
        });
    }
}
