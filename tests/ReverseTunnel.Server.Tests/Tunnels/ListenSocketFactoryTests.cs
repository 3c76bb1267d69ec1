using System.Net;
using System.Net.Sockets;
using ReverseTunnel.Server.Tests.Infrastructure;
using ReverseTunnel.Server.Tunnels;

namespace ReverseTunnel.Server.Tests.Tunnels;

public sealed class ListenSocketFactoryTests
{
    [Fact]
    public async Task Listen_AcceptedConnection_HasNoDelayAndClosesWithReset()
    {
        // Elsewhere the listener sets these per connection instead (the server runs on Linux).
        Assert.True(ListenSocketFactory.AcceptedSocketsInheritOptions == OperatingSystem.IsLinux());
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using Socket listener = ListenSocketFactory.Listen(IPAddress.Loopback, 0);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!).WaitAsync(TestTimeouts.Default);
        Socket accepted = await listener.AcceptAsync().WaitAsync(TestTimeouts.Default);

        Assert.True(accepted.NoDelay);
        Assert.True(accepted.LingerState!.Enabled);
        Assert.Equal(0, accepted.LingerState.LingerTime);

        accepted.Dispose();
        SocketException reset = await Assert.ThrowsAsync<SocketException>(
            async () => await client.ReceiveAsync(new byte[1]).WaitAsync(TestTimeouts.Default));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
    }
}
