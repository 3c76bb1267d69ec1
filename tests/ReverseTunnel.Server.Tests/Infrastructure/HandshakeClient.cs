using System.Net.Http.Headers;
using System.Text.Json;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>
/// Sends the agent's upgrade request with HttpClient, so that a refusal's problem body can be read
/// (ClientWebSocket only exposes the status).
/// </summary>
internal static class HandshakeClient
{
    public static async Task<HandshakeResponse> SendAsync(TestServer server, string? token, string? port, string[]? subProtocols, bool webSocket = true, string target = "jira.internal:443")
    {
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = server.PinnedCertificate;
        using var client = new HttpClient(handler) { Timeout = TestTimeouts.Default };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, "tunnel"));
        if (webSocket)
        {
            request.Headers.Connection.Add("Upgrade");
            request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
            request.Headers.Add("Sec-WebSocket-Version", "13");
            request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        }

        if (subProtocols is not null)
        {
            request.Headers.Add("Sec-WebSocket-Protocol", string.Join(", ", subProtocols));
        }

        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        }

        if (port is not null)
        {
            request.Headers.Add("X-Tunnel-Port", port);
        }

        request.Headers.Add("X-Tunnel-Target", target);
        using HttpResponseMessage response = await client.SendAsync(request).WaitAsync(TestTimeouts.Default);
        string body = await response.Content.ReadAsStringAsync();
        using JsonDocument document = JsonDocument.Parse(body);
        return new HandshakeResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, document.RootElement.Clone(), response.Headers.Upgrade.ToString());
    }

    /// <summary>A handshake with the right subprotocol.</summary>
    public static Task<HandshakeResponse> SendAsync(TestServer server, string? token, int port, string target = "jira.internal:443") =>
        SendAsync(server, token, port.ToString(System.Globalization.CultureInfo.InvariantCulture), [ReverseTunnel.Protocol.ProtocolVersion.SubProtocol], target: target);
}
