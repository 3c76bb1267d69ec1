using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ReverseTunnel.EndToEnd.Tests.Harness;

/// <summary>The platform side: plain TCP connections to the tunnel port on the server's internal address.</summary>
internal static class TunnelClient
{
    public static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestTimeout.Value);
        return socket;
    }

    public static async Task SendAllAsync(this Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[await socket.SendAsync(data, SocketFlags.None)..];
        }
    }

    public static Task SendLineAsync(this Socket socket, string line) => socket.SendAllAsync(Encoding.ASCII.GetBytes(line + "\n"));

    /// <summary>Reads to the peer's FIN. A reset throws <see cref="SocketException"/> (ConnectionReset).</summary>
    public static async Task<byte[]> ReadToEndAsync(this Socket socket)
    {
        var output = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    /// <summary>Reads to the peer's FIN while hashing, without keeping the bytes.</summary>
    public static async Task<(long Length, string Sha256)> HashToEndAsync(this Socket socket)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        return (total, Convert.ToHexString(hash.GetHashAndReset()));
    }

    /// <summary>
    /// True when the connection was reset (RST), false at a clean FIN. A tunnel that is not served
    /// must reset or refuse, never pretend a complete, empty response.
    /// </summary>
    public static async Task<bool> EndsWithResetAsync(this Socket socket)
    {
        try
        {
            await socket.ReadToEndAsync();
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }
}
