using System.Net;
using System.Text;
using System.Text.RegularExpressions;

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
public sealed partial class ProblemCapturingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    // Problem documents are a few hundred octets; a cap keeps a misbehaving server from making us buffer much.
    private const int MaxBodyLength = 16 * 1024;

    // Enough of an HTML error page to recognise who answered ("Request blocked", "nginx", ...).
    private const int MaxExcerptLength = 200;

    /// <summary>The parsed body of the last non-101 response, if it was problem JSON.</summary>
    public ServerProblem? Problem { get; private set; }

    /// <summary>
    /// When the last non-101 response had a body without a problem title or detail (a WAF's or load
    /// balancer's error page): its text, tags stripped, on one line, at most 200 characters.
    /// </summary>
    public string? BodyExcerpt { get; private set; }

    /// <summary>The last non-101 response's <c>Retry-After</c> (seconds or a date), when it had one.</summary>
    public TimeSpan? RetryAfter { get; private set; }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            RetryAfter = ReadRetryAfter(response);
            byte[] body = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
            Problem = ServerProblem.TryParse(body);
            // Kept even for JSON: {"message":"Forbidden"} from an API gateway has no code, title or detail.
            BodyExcerpt = Problem is { Detail: not null } or { Title: not null } ? null : Excerpt(body);
        }

        return response;
    }

    /// <summary>The readable text of a non-problem body, for the log line; null when there is none.</summary>
    public static string? Excerpt(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        string text = Encoding.UTF8.GetString(body);
        try
        {
            text = Tags().Replace(text, " ");
        }
        catch (RegexMatchTimeoutException)
        {
            // Keep the raw text: a few tags in the log line are better than no hint at all.
        }

        text = WebUtility.HtmlDecode(text);
        // One line, printable only: the excerpt goes into a log line and must not forge others.
        var line = new StringBuilder(Math.Min(text.Length, MaxExcerptLength));
        bool space = false;
        foreach (char ch in text)
        {
            if (char.IsWhiteSpace(ch) || char.IsControl(ch))
            {
                space = line.Length > 0;
                continue;
            }

            if (space)
            {
                line.Append(' ');
                space = false;
            }

            line.Append(ch == '"' ? '\'' : ch);
            if (line.Length >= MaxExcerptLength)
            {
                line.Append('…');
                break;
            }
        }

        return line.Length == 0 ? null : line.ToString();
    }

    /// <summary>Retry-After as a delay; a date is turned into the time left until it. Null when absent or past.</summary>
    public static TimeSpan? ReadRetryAfter(HttpResponseMessage response)
    {
        System.Net.Http.Headers.RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        TimeSpan? delay = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        return delay > TimeSpan.Zero ? delay : null;
    }

    [GeneratedRegex("<[^>]*>", RegexOptions.None, matchTimeoutMilliseconds: 100)]
    private static partial Regex Tags();

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
