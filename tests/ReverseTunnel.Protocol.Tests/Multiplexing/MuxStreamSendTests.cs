using System.Net.Sockets;
using ReverseTunnel.Protocol.Multiplexing;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Multiplexing;

public class MuxStreamSendTests
{
    [Fact]
    public async Task SendFromSocketAsync_EndOfFileWhileThePeersWindowIsShut_ReturnsWithoutWaitingForCredit()
    {
        var options = new MuxSessionOptions { InitialStreamWindow = 16 * 1024, SessionWindow = 64 * 1024 };
        await using SessionPair pair = await SessionPair.CreateAsync(options, options);
        (MuxStream serverEnd, MuxStream agentEnd) = await pair.OpenAsync();
        (Socket client, Socket server) = await SocketPair.CreateAsync();
        using (client)
        using (server)
        {
            Task<long> copy = serverEnd.SendFromSocketAsync(server).AsTask();
            await client.SendAsync(new byte[options.InitialStreamWindow]);

            // The agent never reads: once it holds a whole window, the stream has no credit left.
            var deadline = DateTime.UtcNow + TestTimeout.Value;
            while (agentEnd.BufferedBytes < options.InitialStreamWindow && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            client.Shutdown(SocketShutdown.Send);

            // The end of file needs no credit: it must be seen now, not once the peer reads.
            Assert.Equal(options.InitialStreamWindow, await copy.WithTimeout());
        }
    }
}
