using System.Net.Sockets;
using ReverseTunnel.Protocol.Bridging;
using ReverseTunnel.Protocol.Tests.Support;

namespace ReverseTunnel.Protocol.Tests.Bridging;

public class TcpStateTests
{
    [Fact]
    public async Task WasReset_ResetSwallowedBySend_IsTrueWhileReceiveSaysEndOfFile()
    {
        (Socket local, Socket remote) = await SocketPair.CreateAsync();
        using (local)
        {
            remote.LingerState = new LingerOption(true, 0);
            remote.Dispose();

            // The first send after the RST reports it (or the one after, once the RST has landed);
            // a receive after that returns 0, exactly like a FIN.
            SocketException? sendError = null;
            for (int i = 0; i < 100 && sendError is null; i++)
            {
                try
                {
                    await local.SendAsync(new byte[1]);
                    await Task.Delay(10);
                }
                catch (SocketException ex)
                {
                    sendError = ex;
                }
            }

            Assert.NotNull(sendError);
            Assert.Equal(0, await local.ReceiveAsync(new byte[1]).WithTimeout());
            Assert.True(TcpState.WasReset(local));
        }
    }

    [Fact]
    public async Task WasReset_CleanFin_IsFalse()
    {
        (Socket local, Socket remote) = await SocketPair.CreateAsync();
        using (local)
        using (remote)
        {
            remote.Shutdown(SocketShutdown.Send);

            Assert.Equal(0, await local.ReceiveAsync(new byte[1]).WithTimeout());
            Assert.False(TcpState.WasReset(local));
        }
    }
}
