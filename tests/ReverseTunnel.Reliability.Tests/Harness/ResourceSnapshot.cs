using System.Text;

namespace ReverseTunnel.Reliability.Tests.Harness;

/// <summary>
/// Everything counted for leaks at one moment: the server's and each agent's fds and threads, the
/// server's open tunnel connections (its active streams), the agents' connections to their targets,
/// the targets' open connections, and the WebSocket connections held by the server (local port =
/// its port) and by the agents (remote port = their proxy's).
/// </summary>
internal sealed record ResourceSnapshot(
    IReadOnlyDictionary<string, int> ServerFdKinds,
    IReadOnlyList<IReadOnlyDictionary<string, int>> AgentFdKinds,
    ProcessResources Server,
    IReadOnlyList<ProcessResources> Agents,
    int ServerTunnelSockets,
    int AgentTargetSockets,
    int TargetConnections,
    int ServerSessionSockets,
    int AgentServerSockets)
{
    public override string ToString()
    {
        var text = new StringBuilder($"server: {Server}; ");
        for (int i = 0; i < Agents.Count; i++)
        {
            text.Append($"agent {i}: {Agents[i]}; ");
        }

        text.Append($"server tunnel sockets {ServerTunnelSockets}, agent->target sockets {AgentTargetSockets}, target connections {TargetConnections}, server session sockets {ServerSessionSockets}, agent session sockets {AgentServerSockets}");
        return text.ToString();
    }
}
