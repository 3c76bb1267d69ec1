using System.Net;
using System.Net.WebSockets;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Diagnostics;
using ReverseTunnel.Protocol;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// Connects to <c>wss://SERVER_IP_DOMAIN:SERVER_PORT/tunnel</c> with the contract's headers, through
/// the proxy when one applies, and turns every failure into a <see cref="ConnectFailure"/>.
/// </summary>
/// <remarks>
/// Each attempt gets its own <see cref="SocketsHttpHandler"/>: an upgraded connection leaves the
/// pool and is never reused, so a shared handler would share nothing but state, while a fresh one
/// gives each attempt its own certificate verdict (for precise TLS errors) and a fresh DNS lookup
/// (PooledConnectionLifetime has nothing to recycle here).
/// </remarks>
public sealed class ServerConnector(AgentOptions options) : IServerConnector
{
    private readonly TunnelProxy? _proxy = options.Proxy is null ? null : new TunnelProxy(options.Proxy, options.NoProxy);

    /// <summary>The proxy used for the server, or null when connecting directly (no proxy, or NO_PROXY matches).</summary>
    public Uri? EffectiveProxy => _proxy?.GetProxy(options.ServerUri);

    /// <inheritdoc />
    public async Task<ConnectResult> ConnectAsync(CancellationToken cancellationToken)
    {
        Uri server = options.ServerUri;
        var validator = new ServerCertificateValidator(options);
        SocketsHttpHandler sockets = CreateHandler(options, _proxy, validator.Validate);
        var capture = new ProblemCapturingHandler(sockets);
        var invoker = new HttpMessageInvoker(capture, disposeHandler: true);
        var webSocket = new ClientWebSocket();
        Configure(webSocket.Options);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ServerConnectTimeout);
        try
        {
            await webSocket.ConnectAsync(server, invoker, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var attempt = new AttemptDiagnostics(
                server,
                EffectiveProxy,
                options.ServerConnectTimeout,
                TimedOut: timeout.IsCancellationRequested,
                StatusCode: webSocket.HttpStatusCode == 0 ? null : webSocket.HttpStatusCode,
                Problem: capture.Problem,
                Tls: validator.Failure,
                BodyExcerpt: capture.BodyExcerpt,
                RetryAfter: capture.RetryAfter);
            webSocket.Dispose();
            invoker.Dispose();
            return ConnectResult.Failed(ConnectFailureClassifier.Classify(ex, attempt));
        }
        catch
        {
            webSocket.Dispose();
            invoker.Dispose();
            throw;
        }

        if (webSocket.SubProtocol != ProtocolVersion.SubProtocol)
        {
            string offered = webSocket.SubProtocol ?? "none";
            webSocket.Abort();
            webSocket.Dispose();
            invoker.Dispose();
            return ConnectResult.Failed(new ConnectFailure(ConnectFailureKind.Protocol,
                $"the server at {server.Authority} accepted the WebSocket without the {ProtocolVersion.SubProtocol} subprotocol (it chose {offered}); check SERVER_IP_DOMAIN and SERVER_PORT point at ws-server."));
        }

        return ConnectResult.Connected(new ServerConnection(webSocket, invoker));
    }

    /// <summary>
    /// The handler of one attempt. TLS 1.2 and 1.3 only, whatever the OS allows by default: the
    /// token travels inside this TLS session (docs/security.md).
    /// </summary>
    internal static SocketsHttpHandler CreateHandler(AgentOptions options, IWebProxy? proxy, System.Net.Security.RemoteCertificateValidationCallback validate)
    {
        var sockets = new SocketsHttpHandler
        {
            ConnectTimeout = options.ServerConnectTimeout,
            UseProxy = proxy is not null,
            Proxy = proxy,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        sockets.SslOptions.EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
        sockets.SslOptions.RemoteCertificateValidationCallback = validate;
        sockets.ConnectCallback = ConnectAsync;
        return sockets;
    }

    /// <summary>
    /// Connects as SocketsHttpHandler does by default (every address of the name in turn, Nagle off),
    /// to the server or to the proxy, and reads the connection ahead (<see cref="ReadAheadStream"/>).
    /// </summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new ReadAheadStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true));
    }

    private void Configure(ClientWebSocketOptions webSocket)
    {
        webSocket.AddSubProtocol(ProtocolVersion.SubProtocol);
        webSocket.SetRequestHeader("Authorization", "Bearer " + options.Token);
        webSocket.SetRequestHeader("X-Tunnel-Port", options.TunnelPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        webSocket.SetRequestHeader("X-Tunnel-Target", options.Target);
        webSocket.SetRequestHeader("User-Agent", "ws-agent/" + AgentVersion.Current);
        // KEEPALIVE_SECONDS, default 15 s each (contract): a dead link is noticed in ~30 s.
        webSocket.KeepAliveInterval = options.KeepAlive;
        webSocket.KeepAliveTimeout = options.KeepAlive;
        webSocket.CollectHttpResponseDetails = true;
    }
}
