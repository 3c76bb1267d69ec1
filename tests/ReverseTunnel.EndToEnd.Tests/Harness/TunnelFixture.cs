using ReverseTunnel.EndToEnd.Tests.Targets;

namespace ReverseTunnel.EndToEnd.Tests.Harness;

/// <summary>
/// One server, one agent per target and the targets, shared by the traffic tests of a class (they
/// run one after another). The HTTP agent serves <see cref="HttpPort"/>, the HTTPS agent
/// <see cref="HttpsPort"/>, the TCP agent <see cref="TcpPort"/>; all three use one token.
/// </summary>
public sealed class TunnelFixture : IAsyncLifetime
{
    public const string Token = "e2e-token-0123456789abcdef";

    internal TunnelEnvironment Environment { get; private set; } = null!;

    internal HttpTarget Http { get; private set; } = null!;

    internal TcpTarget Tcp { get; private set; } = null!;

    public int HttpPort { get; } = FreePort.Next();

    public int HttpsPort { get; } = FreePort.Next();

    public int TcpPort { get; } = FreePort.Next();

    public async Task InitializeAsync()
    {
        Http = await HttpTarget.StartAsync();
        Tcp = new TcpTarget();
        Environment = await TunnelEnvironment.StartAsync(("acme", Token, [HttpPort, HttpsPort, TcpPort]));
        await Task.WhenAll(
            Environment.StartConnectedAgentAsync(Token, HttpPort, Http.HttpPort),
            Environment.StartConnectedAgentAsync(Token, HttpsPort, Http.HttpsPort),
            Environment.StartConnectedAgentAsync(Token, TcpPort, Tcp.Port));
    }

    public async Task DisposeAsync()
    {
        await Environment.DisposeAsync();
        await Http.DisposeAsync();
        await Tcp.DisposeAsync();
    }
}
