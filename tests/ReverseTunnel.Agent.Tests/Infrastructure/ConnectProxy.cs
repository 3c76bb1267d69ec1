using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ReverseTunnel.Agent.Tests.Infrastructure;

/// <summary>
/// A tiny real HTTP CONNECT proxy on 127.0.0.1, port 0: parses <c>CONNECT host:port</c>, answers
/// 200 (or <see cref="RefuseWith"/>) and pipes bytes both ways. Records every CONNECT target.
/// </summary>
public sealed class ConnectProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _targets = new();
    private readonly Task _acceptLoop;

    /// <summary>Starts listening.</summary>
    public ConnectProxy(int? refuseWith = null)
    {
        RefuseWith = refuseWith;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>When set, every CONNECT is answered with this status instead of 200.</summary>
    public int? RefuseWith { get; }

    /// <summary>The proxy URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Every <c>host:port</c> a client asked to CONNECT to.</summary>
    public IReadOnlyCollection<string> Targets => _targets;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(30));
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(HandleAsync(client));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(connections);
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream downstream = client.GetStream();
                string head = await ReadHeadAsync(downstream);
                string[] requestLine = head.Split("\r\n")[0].Split(' ');
                if (requestLine.Length < 2 || requestLine[0] != "CONNECT")
                {
                    await WriteAsync(downstream, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
                    return;
                }

                string target = requestLine[1];
                _targets.Enqueue(target);
                if (RefuseWith is { } status)
                {
                    await WriteAsync(downstream, $"HTTP/1.1 {status} Refused\r\nContent-Length: 0\r\n\r\n");
                    return;
                }

                int colon = target.LastIndexOf(':');
                using var upstream = new TcpClient();
                await upstream.ConnectAsync(target[..colon].Trim('[', ']'), int.Parse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), _stop.Token);
                await WriteAsync(downstream, "HTTP/1.1 200 Connection Established\r\n\r\n");
                NetworkStream up = upstream.GetStream();
                Task toUpstream = CopyAsync(downstream, up);
                Task toDownstream = CopyAsync(up, downstream);
                await Task.WhenAny(toUpstream, toDownstream);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    private async Task CopyAsync(Stream from, Stream to)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        // Byte by byte: nothing after the blank line may be consumed (the client waits for our answer anyway).
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                throw new IOException("The client closed before the end of the CONNECT request.");
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    private async Task WriteAsync(NetworkStream stream, string text) =>
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), _stop.Token);
}
