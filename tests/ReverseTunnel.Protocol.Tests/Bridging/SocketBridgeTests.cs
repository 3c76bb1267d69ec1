using System.Net.Sockets;
using System.Text;
using ReverseTunnel.Protocol.Bridging;
using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Bridging;

/// <summary>Both ends bridged to real TCP sockets: client ⇄ [server session ⇄ agent session] ⇄ target.</summary>
public class SocketBridgeTests
{
    [Fact]
    public async Task RunAsync_ClientHalfClosesAfterRequest_StillReceivesWholeResponse()
    {
        await using SessionPair pair = await SessionPair.CreateAsync();
        (Socket client, Socket target, Task<BridgeResult> serverBridge, Task<BridgeResult> agentBridge) = await BridgeAsync(pair);

        await client.SendAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        byte[] request = await ReadToEofAsync(target).WithTimeout();
        byte[] response = StreamExtensions.RandomBytes(1024 * 1024);
        await target.SendAsync(response);
        target.Shutdown(SocketShutdown.Send);

        Assert.Equal("GET / HTTP/1.0\r\n\r\n", Encoding.ASCII.GetString(request));
        Assert.Equal(StreamExtensions.Sha256(response), StreamExtensions.Sha256(await ReadToEofAsync(client).WithTimeout()));
        Assert.Equal(BridgeOutcome.Completed, (await serverBridge.WithTimeout()).Outcome);
        Assert.Equal(BridgeOutcome.Completed, (await agentBridge.WithTimeout()).Outcome);
    }

    [Fact]
    public async Task RunAsync_TargetHalfClosesFirst_ClientStillUploadsWholeBody()
    {
        // The mirror of the case above: the target answers and closes its side first (a server
        // that streams a greeting, then only listens); the tunnel must keep the other direction open.
        await using SessionPair pair = await SessionPair.CreateAsync();
        (Socket client, Socket target, Task<BridgeResult> serverBridge, Task<BridgeResult> agentBridge) = await BridgeAsync(pair);
        Task<byte[]> targetReceived = ReadToEofAsync(target);

        await target.SendAsync("220 ready\r\n"u8.ToArray());
        target.Shutdown(SocketShutdown.Send);
        byte[] response = await ReadToEofAsync(client).WithTimeout();

        // 1 MiB is four times the default stream window, so the upload needs window updates sent
        // back towards a target that has already finished sending.
        byte[] upload = StreamExtensions.RandomBytes(1024 * 1024);
        await SendAllAsync(client, upload).WithTimeout();
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("220 ready\r\n", Encoding.ASCII.GetString(response));
        Assert.Equal(StreamExtensions.Sha256(upload), StreamExtensions.Sha256(await targetReceived.WithTimeout()));
        BridgeResult server = await serverBridge.WithTimeout();
        BridgeResult agent = await agentBridge.WithTimeout();
        Assert.Equal(BridgeOutcome.Completed, server.Outcome);
        Assert.Equal(BridgeOutcome.Completed, agent.Outcome);
        Assert.Equal(upload.Length, server.BytesFromSocket);
        Assert.Equal(upload.Length, agent.BytesToSocket);
    }

    [Fact]
    public async Task RunAsync_TargetResetsMidResponse_ClientSeesResetNotEof()
    {
        await using SessionPair pair = await SessionPair.CreateAsync();
        (Socket client, Socket target, Task<BridgeResult> serverBridge, _) = await BridgeAsync(pair);

        await target.SendAsync(new byte[1000]);
        target.LingerState = new LingerOption(true, 0);
        target.Dispose();

        var ex = await Assert.ThrowsAsync<SocketException>(() => ReadToEofAsync(client)).WithTimeout();
        Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        Assert.Equal(BridgeOutcome.StreamReset, (await serverBridge.WithTimeout()).Outcome);
    }

    [Fact]
    public async Task RunAsync_SessionLost_ClientSeesResetNotEof()
    {
        await using SessionPair pair = await SessionPair.CreateAsync();
        (Socket client, Socket target, _, _) = await BridgeAsync(pair);
        await target.SendAsync(new byte[1000]);

        pair.Agent.Abort(ErrorCode.InternalError, "agent process died");

        var ex = await Assert.ThrowsAsync<SocketException>(() => ReadToEofAsync(client)).WithTimeout();
        Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        target.Dispose();
    }

    [Fact]
    public async Task RunAsync_StreamResetAfterClientFinished_ClientStillSeesReset()
    {
        await using SessionPair pair = await SessionPair.CreateAsync();
        (Socket client, Socket target, _, _) = await BridgeAsync(pair);
        client.Shutdown(SocketShutdown.Send);
        await ReadToEofAsync(target).WithTimeout();

        target.LingerState = new LingerOption(true, 0);
        target.Dispose();

        var ex = await Assert.ThrowsAsync<SocketException>(() => ReadToEofAsync(client)).WithTimeout();
        Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
    }

    private static async Task<(Socket Client, Socket Target, Task<BridgeResult> ServerBridge, Task<BridgeResult> AgentBridge)> BridgeAsync(SessionPair pair)
    {
        (Socket client, Socket serverSide) = await SocketPair.CreateAsync();
        (Socket agentSide, Socket target) = await SocketPair.CreateAsync();
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();
        return (client, target, SocketBridge.RunAsync(serverSide, serverEnd), SocketBridge.RunAsync(agentSide, agentEnd));
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[await socket.SendAsync(data, SocketFlags.None)..];
        }
    }

    private static async Task<byte[]> ReadToEofAsync(Socket socket)
    {
        var output = new MemoryStream();
        byte[] buffer = new byte[65536];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }
}
