using System.Net;
using System.Text.Json;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>A refused handshake: status, content type and the problem body.</summary>
internal sealed record HandshakeResponse(HttpStatusCode Status, string? ContentType, JsonElement Problem)
{
    public string Code => Problem.GetProperty("code").GetString()!;

    public string Detail => Problem.GetProperty("detail").GetString()!;
}
