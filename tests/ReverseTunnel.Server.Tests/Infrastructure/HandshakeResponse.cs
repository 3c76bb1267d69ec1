using System.Net;
using System.Text.Json;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>A refused handshake: status, content type, the problem body and the Upgrade response header.</summary>
internal sealed record HandshakeResponse(HttpStatusCode Status, string? ContentType, JsonElement Problem, string Upgrade = "")
{
    public string Code => Problem.GetProperty("code").GetString()!;

    public string Detail => Problem.GetProperty("detail").GetString()!;
}
