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

        // What the stalled connection's source managed to send is bounded by the stream window plus
        // kernel socket buffers on the way, not by the 1 GiB it wanted to send.
        long stalledSent = tunnel.Tcp.BytesSent - before - length;
        Assert.InRange(stalledSent, 0, 48L * 1024 * 1024);
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
