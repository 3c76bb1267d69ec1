using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// The one place where the exceptions of a failed connection attempt (ClientWebSocket wraps
/// HttpRequestException, which wraps SocketException or AuthenticationException) become a typed
/// <see cref="ConnectFailure"/> whose message says why and what to check.
/// </summary>
public static class ConnectFailureClassifier
{
    /// <summary>Classifies <paramref name="exception"/> with what the attempt observed.</summary>
    public static ConnectFailure Classify(Exception exception, AttemptDiagnostics attempt)
    {
        if (attempt.StatusCode is { } status && (int)status is >= 200 and not 101)
        {
            return ServerRefusal.Describe(status, attempt.Problem, attempt.BodyExcerpt) with { RetryAfter = attempt.RetryAfter };
        }

        if (attempt.Tls is { } tls)
        {
            return new ConnectFailure(ConnectFailureKind.Tls, $"TLS failure: {tls.Message}", TlsReason: tls.Kind);
        }

        string server = $"{attempt.Server.Host}:{attempt.Server.Port}";
        string via = attempt.Proxy is null ? string.Empty : $" through proxy {attempt.Proxy.Authority}";
        if (attempt.TimedOut || Find<TimeoutException>(exception) is not null)
        {
            return TimedOut(attempt, server, via);
        }

        if (Find<HttpRequestException>(exception) is { } http)
        {
            return FromHttp(http, attempt, server, via);
        }

        if (Find<SocketException>(exception) is { } socket)
        {
            return FromSocket(socket, attempt, server, via);
        }

        if (Find<AuthenticationException>(exception) is { } authentication)
        {
            return Handshake(authentication, server);
        }

        if (Find<WebSocketException>(exception) is { } webSocket && webSocket.Message.Contains("subprotocol", StringComparison.OrdinalIgnoreCase))
        {
            return new ConnectFailure(ConnectFailureKind.Protocol, $"the server at {server} did not accept the reverse-tunnel.v1 subprotocol: {webSocket.Message}");
        }

        return new ConnectFailure(ConnectFailureKind.Network, $"cannot connect to {server}{via}: {Describe(exception)}");
    }

    private static ConnectFailure FromHttp(HttpRequestException http, AttemptDiagnostics attempt, string server, string via)
    {
        switch (http.HttpRequestError)
        {
            case HttpRequestError.NameResolutionError when attempt.Proxy is not null:
                return new ConnectFailure(ConnectFailureKind.Proxy,
                    $"proxy failure: the proxy host '{attempt.Proxy.Host}' could not be resolved (DNS). Check HTTPS_PROXY.");
            case HttpRequestError.NameResolutionError:
                return new ConnectFailure(ConnectFailureKind.NameResolution,
                    $"DNS failure: the name '{attempt.Server.Host}' could not be resolved. Check SERVER_IP_DOMAIN and the DNS settings of this host or container.");
            case HttpRequestError.ProxyTunnelError:
                return new ConnectFailure(ConnectFailureKind.Proxy,
                    $"proxy failure: the proxy {attempt.Proxy?.Authority} refused to open a tunnel to {server} ({Describe(http)}). " +
                    "Check that the proxy allows CONNECT to that host and port, or list the server in NO_PROXY.");
            case HttpRequestError.SecureConnectionError:
                return Handshake(http, server);
            case HttpRequestError.ConnectionError when Find<SocketException>(http) is { } socket:
                return FromSocket(socket, attempt, server, via);
            default:
                return new ConnectFailure(ConnectFailureKind.Network, $"cannot connect to {server}{via}: {Describe(http)}");
        }
    }

    private static ConnectFailure FromSocket(SocketException socket, AttemptDiagnostics attempt, string server, string via)
    {
        if (attempt.Proxy is not null)
        {
            // Through a proxy the agent only ever opens sockets to the proxy itself.
            return new ConnectFailure(ConnectFailureKind.Proxy,
                $"proxy failure: cannot connect to the proxy {attempt.Proxy.Authority} ({socket.SocketErrorCode}: {socket.Message}). Check HTTPS_PROXY and that the proxy is running.");
        }

        return socket.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => new ConnectFailure(ConnectFailureKind.ConnectionRefused,
                $"connection refused by {server}: nothing listens there or a firewall rejects the connection. Check SERVER_IP_DOMAIN and SERVER_PORT, and that outgoing connections to that port are allowed."),
            SocketError.TimedOut => TimedOut(attempt, server, via),
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => new ConnectFailure(ConnectFailureKind.NameResolution,
                $"DNS failure: the name '{attempt.Server.Host}' could not be resolved ({socket.SocketErrorCode}). Check SERVER_IP_DOMAIN and the DNS settings of this host or container."),
            _ => new ConnectFailure(ConnectFailureKind.Network, $"cannot connect to {server}: {socket.SocketErrorCode} ({socket.Message})."),
        };
    }

    private static ConnectFailure TimedOut(AttemptDiagnostics attempt, string server, string via) =>
        new(ConnectFailureKind.Timeout,
            $"timeout: no answer from {server}{via} within {attempt.Timeout.TotalSeconds:0.#} s (TCP connect, TLS and WebSocket upgrade). " +
            "A firewall is probably dropping the traffic: allow outgoing connections to SERVER_IP_DOMAIN on SERVER_PORT.");

    private static ConnectFailure Handshake(Exception exception, string server) =>
        new(ConnectFailureKind.Tls,
            $"TLS failure: the TLS handshake with {server} failed ({Describe(exception)}). Check that SERVER_PORT is ws-server's TLS port.",
            TlsReason: TlsFailureKind.HandshakeFailed);

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T match)
            {
                return match;
            }
        }

        return null;
    }

    /// <summary>The innermost message: the outer ones are generic ("Unable to connect to the remote server").</summary>
    private static string Describe(Exception exception)
    {
        Exception innermost = exception;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return innermost.Message.TrimEnd('.');
    }
}
