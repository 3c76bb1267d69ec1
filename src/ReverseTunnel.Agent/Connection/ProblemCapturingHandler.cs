using System.Net;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// Sits between <see cref="System.Net.WebSockets.ClientWebSocket"/> and the
/// <see cref="SocketsHttpHandler"/> and keeps the body of a refused upgrade.
/// </summary>
/// <remarks>
/// With <c>CollectHttpResponseDetails</c> .NET exposes a refused upgrade's status code and headers
/// but not its body, and the body carries ws-server's explanation (problem+json <c>code</c> and
/// <c>detail</c>) — the difference between 409 <c>port_in_use</c> (exit 5) and 409
/// <c>port_unavailable</c> (retry). A 101 response passes through untouched.
/// </remarks>
public sealed class ProblemCapturingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    // Problem documents are a few hundred octets; a cap keeps a misbehaving server from making us buffer much.
    private const int MaxBodyLength = 16 * 1024;

    /// <summary>The parsed body of the last non-101 response, if it was problem JSON.</summary>
    public ServerProblem? Problem { get; private set; }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            Problem = ServerProblem.TryParse(await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false));
        }

        return response;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            byte[] buffer = new byte[MaxBodyLength];
            int length = 0;
            int read;
            while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            return buffer[..length];
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            // The status code alone is still reported; the body was a bonus.
            return [];
        }
    }
}
