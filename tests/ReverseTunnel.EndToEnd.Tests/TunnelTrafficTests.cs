using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ReverseTunnel.EndToEnd.Tests.Harness;
using ReverseTunnel.EndToEnd.Tests.Targets;

namespace ReverseTunnel.EndToEnd.Tests;

/// <summary>Traffic through the real ws-server and ws-agent processes, over TLS, on loopback.</summary>
public class TunnelTrafficTests(TunnelFixture tunnel) : IClassFixture<TunnelFixture>
{
    [Fact]
    public async Task HttpGet_ThroughTunnel_ReachesTheInternalService()
    {
        using var client = new HttpClient { Timeout = TestTimeout.Value };

        string body = await client.GetStringAsync($"http://127.0.0.1:{tunnel.HttpPort}/");

        Assert.Equal("hello from the internal service", body);
    }

    [Fact]
    public async Task HttpsGet_ThroughTunnel_ClientVerifiesTheTargetsOwnCertificate()
    {
        X509Certificate2? seen = null;
        using var handler = new SocketsHttpHandler
        {
            // The name in the URL is the target's ("localhost"); the bytes go to the tunnel port.
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, tunnel.HttpsPort), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    seen = new X509Certificate2(certificate!);
                    return TrustedByTarget(seen, errors, tunnel.Http.Certificate);
                },
            },
        };
        using var client = new HttpClient(handler) { Timeout = TestTimeout.Value };

        string body = await client.GetStringAsync("https://localhost/");

        Assert.Equal("hello from the internal service", body);
        Assert.Equal(tunnel.Http.Certificate.Thumbprint, seen!.Thumbprint);
    }

    [Fact]
    public async Task Upload_64MiB_ArrivesWithTheSameChecksum()
    {
        byte[] data = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        using Socket socket = await TunnelClient.ConnectAsync(tunnel.TcpPort);

        await socket.SendLineAsync("sink");
        await socket.SendAllAsync(data).WithTimeout();
        socket.Shutdown(SocketShutdown.Send);
        string answer = Encoding.ASCII.GetString(await socket.ReadToEndAsync().WithTimeout()).Trim();

        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), answer);
    }

    [Fact]
    public async Task Download_64MiB_ArrivesWithTheSameChecksum()
    {
        const int length = 64 * 1024 * 1024;
        using Socket socket = await TunnelClient.ConnectAsync(tunnel.TcpPort);

        await socket.SendLineAsync($"source {length} 42");
        (long received, string hash) = await socket.HashToEndAsync().WithTimeout();

        Assert.Equal(length, received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(TcpTarget.Pattern(length, 42))), hash);
    }

    [Fact]
    public async Task TwoHundredConcurrentStreams_EachEchoingBothWays_AllChecksumsMatch()
    {
        async Task<bool> OneStream(int i)
        {
            byte[] data = RandomNumberGenerator.GetBytes(16 * 1024 + (i * 997 % 100_000));
            using Socket socket = await TunnelClient.ConnectAsync(tunnel.TcpPort);
            await socket.SendLineAsync("echo");
            Task<byte[]> echoed = socket.ReadToEndAsync();
            await socket.SendAllAsync(data);
            socket.Shutdown(SocketShutdown.Send);
            return SHA256.HashData(await echoed).AsSpan().SequenceEqual(SHA256.HashData(data));
        }

        bool[] results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => OneStream(i)))).WithTimeout();

        Assert.All(results, Assert.True);
    }

    [Fact]
    public async Task HalfClose_ClientShutsDownWriteAfterRequest_StillReceivesWholeResponse()
    {
        using Socket socket = await TunnelClient.ConnectAsync(tunnel.TcpPort);
        byte[] request = RandomNumberGenerator.GetBytes(300_000);

        await socket.SendLineAsync("sink");
        await socket.SendAllAsync(request);
        socket.Shutdown(SocketShutdown.Send);

        // "sink" answers only after it has seen the client's FIN: the half-close crossed the tunnel.
        string answer = Encoding.ASCII.GetString(await socket.ReadToEndAsync().WithTimeout()).Trim();
        Assert.Equal(Convert.ToHexString(SHA256.HashData(request)), answer);
    }

    [Fact]
    public async Task StalledReader_OnOneConnection_DoesNotStallAnotherAndTargetIsBackpressured()
    {
        long before = tunnel.Tcp.BytesSent;
        using Socket stalled = await TunnelClient.ConnectAsync(tunnel.TcpPort);
        stalled.ReceiveBufferSize = 64 * 1024;
        await stalled.SendLineAsync("source 1073741824 7"); // 1 GiB offered; nobody reads it.

        const int length = 32 * 1024 * 1024;
        using Socket fast = await TunnelClient.ConnectAsync(tunnel.TcpPort);
        await fast.SendLineAsync($"source {length} 8");
        (long received, string hash) = await fast.HashToEndAsync().WithTimeout();
        Assert.Equal(length, received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(TcpTarget.Pattern(length, 8))), hash);

        // The stalled source must come to a standstill, not merely be slower: wait until its count
        // has not moved for a second. (A stall is the absence of events, so it takes a quiet period
        // to observe; the poll is bounded by the step timeout.)
        long stalledSent = await WaitUntilStillAsync(() => tunnel.Tcp.BytesSent - before - length, TimeSpan.FromSeconds(1)).WithTimeout();

        // Where the stalled octets can be, from target to client:
        //   the target's send buffer and the agent's receive buffer (kernel, target connection);
        //   inside ws-agent and ws-server, including the WebSocket between them: the agent reads the
        //     target only with stream credit, so at most the stream's window before the server's
        //     client socket consumes it. That window starts at 256 KiB and may have grown to
        //     MaxStreamWindow (4 MiB; defaults, not changed by the fixture): while the kernel's
        //     buffers were still taking the client's octets, ws-server kept up, so the agent's
        //     BLOCKED grew it (protocol.md, section 10.6);
        //   ws-server's send buffer and the client's receive buffer (kernel, client connection).
        // The kernel buffers are autotuned (here up to tcp_wmem/tcp_rmem max, tens of MiB together),
        // so a bound on the total could not tell a broken window from a generous kernel. The kernel
        // queues are read instead, and what is left is what the processes buffer: the window's part.
        const long streamWindow = 4 * 1024 * 1024;
        Assert.True(KernelQueues.Available, "this check reads the kernel's queues from /proc/net/tcp (Linux)");
        int clientPort = ((IPEndPoint)stalled.LocalEndPoint!).Port;
        long targetConnection = KernelQueues.Sending((local, _) => local == tunnel.Tcp.Port)
            + KernelQueues.Receiving((_, remote) => remote == tunnel.Tcp.Port);
        long clientConnection = KernelQueues.Sending((local, remote) => local == tunnel.TcpPort && remote == clientPort)
            + KernelQueues.Receiving((local, remote) => local == clientPort && remote == tunnel.TcpPort);
        long inProcesses = stalledSent - targetConnection - clientConnection;
        string where = $"stalled source sent {stalledSent}; kernel queues: target connection {targetConnection}, client connection {clientConnection}; in the processes {inProcesses}";

        Assert.True(tunnel.Tcp.BytesSent - before - length == stalledSent, $"the stalled source kept sending: {where}");
        Assert.True(inProcesses <= streamWindow, $"more than the 4 MiB largest stream window is buffered in ws-agent/ws-server: {where}");

        // A sanity check of the reading above: the octets must be found in the kernel queues (a
        // source counts a 64 KiB chunk only once sent whole, so the queues may hold that much more).
        Assert.True(targetConnection + clientConnection > 0 && targetConnection + clientConnection <= stalledSent + (64 * 1024), $"implausible kernel queues: {where}");
    }

    /// <summary>Polls <paramref name="read"/> until it has not changed for <paramref name="quiet"/>; returns that value.</summary>
    private static async Task<long> WaitUntilStillAsync(Func<long> read, TimeSpan quiet)
    {
        long value = read();
        var still = System.Diagnostics.Stopwatch.StartNew();
        while (still.Elapsed < quiet)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
            long now = read();
            if (now != value)
            {
                value = now;
                still.Restart();
            }
        }

        return value;
    }

    private static bool TrustedByTarget(X509Certificate2 presented, SslPolicyErrors errors, X509Certificate2 targetCertificate)
    {
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(targetCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }
}
