using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ReverseTunnel.Server.Endpoints;

/// <summary>Writes a <see cref="TunnelProblem"/> as <c>application/problem+json</c>.</summary>
internal static class ProblemWriter
{
    public const string ContentType = "application/problem+json";

    public static async Task WriteAsync(HttpContext context, TunnelProblem problem)
    {
        byte[] body = Serialize(problem);
        HttpResponse response = context.Response;
        response.StatusCode = problem.Status;
        response.ContentType = ContentType;
        response.ContentLength = body.Length;
        response.Headers.CacheControl = "no-store";
        if (problem.RetryAfterSeconds is { } retryAfter)
        {
            response.Headers[HeaderNames.RetryAfter] = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (problem.Status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer realm=\"ws-server\"";
        }
        else if (problem.Status == StatusCodes.Status426UpgradeRequired)
        {
            // RFC 9110 section 15.5.22: a 426 must say which protocol to upgrade to.
            response.Headers.Upgrade = "websocket";
        }
        else if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers[HeaderNames.RetryAfter] = "5";
        }

        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    internal static byte[] Serialize(TunnelProblem problem)
    {
        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", problem.Type);
            writer.WriteString("title", problem.Title);
            writer.WriteNumber("status", problem.Status);
            writer.WriteString("detail", problem.Detail);
            writer.WriteString("code", problem.Code);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
