using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ReverseTunnel.Reliability.Tests.Traffic;

/// <summary>
/// The platform side of one transfer: connects to a tunnel port, runs a <see cref="TransferSpec"/>
/// and classifies the end by the tunnel's rule: a client that reads to EOF must have every octet
/// with the right SHA-256; anything else must have reached it as a reset.
/// </summary>
/// <remarks>
/// Linux reports a reset (ECONNRESET) once, to whichever call comes first; after that a read sees
/// 0 (EOF) and a write EPIPE. With a reader and a writer at once (echo), a reset the writer
/// consumed therefore shows up as a false EOF in the reader: the writer's error is awaited and
/// counted before an EOF is judged. A reset after our peer's FIN (state CLOSE_WAIT) is reported as
/// EPIPE: that EOF was real.
/// </remarks>
internal static class TransferClient
{
    private const int ChunkSize = 64 * 1024;

    public static async Task<TransferResult> RunAsync(int port, TransferSpec spec, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        var elapsed = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        TransferResult Result(TransferOutcome outcome, long received, long verified, string? detail = null) =>
            new(spec, outcome, received, verified, elapsed.Elapsed, detail) { Port = port };

        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return Result(TransferOutcome.Refused, 0, 0);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return Result(TransferOutcome.Reset, 0, 0, "at connect");
        }

        try
        {
            return spec.Kind switch
            {
                TransferKind.Download => await DownloadAsync(socket, spec, Result, timeout.Token).ConfigureAwait(false),
                TransferKind.Upload => await UploadAsync(socket, spec, Result, timeout.Token).ConfigureAwait(false),
                _ => await EchoAsync(socket, spec, Result, timeout.Token).ConfigureAwait(false),
            };
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Result(TransferOutcome.Hung, 0, 0, $"no end within {deadline.TotalSeconds:F0} s");
        }
    }

    private static async Task<TransferResult> DownloadAsync(Socket socket, TransferSpec spec, Func<TransferOutcome, long, long, string?, TransferResult> result, CancellationToken token)
    {
        SocketError? sendError = await TrySendAsync(socket, Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"source {spec.Length} {spec.Seed}\n")), token).ConfigureAwait(false);
        if (sendError == SocketError.ConnectionReset)
        {
            return result(TransferOutcome.Reset, 0, 0, "while sending the request");
        }

        ReadEnd end = await ReadToEndAsync(socket, token).ConfigureAwait(false);
        return Judge(spec, end, sendError, result);
    }

    private static async Task<TransferResult> UploadAsync(Socket socket, TransferSpec spec, Func<TransferOutcome, long, long, string?, TransferResult> result, CancellationToken token)
    {
        SocketError? sendError = await TrySendAsync(socket, Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"sink {spec.Length}\n")), token).ConfigureAwait(false);
        if (sendError is null)
        {
            sendError = await SendPatternAsync(socket, spec, token).ConfigureAwait(false);
        }

        if (sendError == SocketError.ConnectionReset)
        {
            return result(TransferOutcome.Reset, 0, 0, "while uploading");
        }

        if (sendError is null)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        ReadEnd end = await ReadToEndAsync(socket, token).ConfigureAwait(false);
        if (end.Error == SocketError.ConnectionReset)
        {
            return result(TransferOutcome.Reset, end.Length, 0, "while reading the answer");
        }

        if (end.Error is { } error)
        {
            return result(TransferOutcome.OtherError, end.Length, 0, $"reading the answer: {error}");
        }

        string answer = Encoding.ASCII.GetString(end.Head).Trim();
        if (sendError is not null || answer.Length == 0)
        {
            // EOF without the answer: the sink never sends a FIN before it. After EPIPE, the FIN came before the reset.
            return result(TransferOutcome.Truncated, end.Length, 0, $"clean EOF without the answer{(sendError is null ? "" : $" (the upload failed with {sendError}: a FIN came first)")}");
        }

        string expected = Pattern.Sha256(spec.Seed, spec.Length);
        return answer == expected
            ? result(TransferOutcome.Completed, end.Length, spec.Length, null)
            : result(TransferOutcome.Corrupted, end.Length, 0, $"the target read other octets: answer {answer[..Math.Min(16, answer.Length)]}…, expected {expected[..16]}…");
    }

    private static async Task<TransferResult> EchoAsync(Socket socket, TransferSpec spec, Func<TransferOutcome, long, long, string?, TransferResult> result, CancellationToken token)
    {
        SocketError? sendError = await TrySendAsync(socket, Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"echo {spec.Length}\n")), token).ConfigureAwait(false);
        if (sendError == SocketError.ConnectionReset)
        {
            return result(TransferOutcome.Reset, 0, 0, "while sending the request");
        }

        Task<SocketError?> writer = sendError is null ? SendPatternThenFinAsync(socket, spec, token) : Task.FromResult(sendError);
        ReadEnd end = await ReadToEndAsync(socket, token).ConfigureAwait(false);

        // The writer may have consumed the reset that made the reader see EOF: hear it out first.
        // If it is still blocked after a while, nobody reads its octets: the EOF was real.
        SocketError? writeError = await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(3), token)).ConfigureAwait(false) == writer
            ? await writer.ConfigureAwait(false)
            : null;
        if (writeError == SocketError.ConnectionReset && end.Error is null)
        {
            return result(TransferOutcome.Reset, end.Length, 0, "seen by the writer");
        }

        return Judge(spec, end, writeError, result);
    }

    private static TransferResult Judge(TransferSpec spec, ReadEnd end, SocketError? sendError, Func<TransferOutcome, long, long, string?, TransferResult> result)
    {
        if (end.Error == SocketError.ConnectionReset)
        {
            return result(TransferOutcome.Reset, end.Length, 0, null);
        }

        if (end.Error is { } error)
        {
            return result(TransferOutcome.OtherError, end.Length, 0, $"read failed with {error}");
        }

        string suffix = sendError is null ? "" : $" (sending failed with {sendError}: a FIN came before the reset)";
        if (end.Length < spec.Length)
        {
            return result(TransferOutcome.Truncated, end.Length, 0, $"clean EOF after {end.Length} of {spec.Length} octets{suffix}");
        }

        if (end.Length > spec.Length)
        {
            return result(TransferOutcome.Corrupted, end.Length, 0, $"{end.Length} octets for {spec.Length} sent");
        }

        return end.Sha256 == Pattern.Sha256(spec.Seed, spec.Length)
            ? result(TransferOutcome.Completed, end.Length, spec.Length, null)
            : result(TransferOutcome.Corrupted, end.Length, 0, "full length, wrong SHA-256");
    }

    private static async Task<ReadEnd> ReadToEndAsync(Socket socket, CancellationToken token)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[ChunkSize];
        var head = new MemoryStream();
        long total = 0;
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                if (head.Length < 256)
                {
                    head.Write(buffer, 0, (int)Math.Min(read, 256 - head.Length));
                }

                total += read;
            }
        }
        catch (SocketException ex)
        {
            return new ReadEnd(total, "", head.ToArray(), ex.SocketErrorCode);
        }

        return new ReadEnd(total, Convert.ToHexString(hash.GetHashAndReset()), head.ToArray(), null);
    }

    private static async Task<SocketError?> SendPatternThenFinAsync(Socket socket, TransferSpec spec, CancellationToken token)
    {
        SocketError? error = await SendPatternAsync(socket, spec, token).ConfigureAwait(false);
        if (error is null)
        {
            try
            {
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException ex)
            {
                return ex.SocketErrorCode;
            }
        }

        return error;
    }

    private static async Task<SocketError?> SendPatternAsync(Socket socket, TransferSpec spec, CancellationToken token)
    {
        byte[] buffer = new byte[ChunkSize];
        for (long offset = 0; offset < spec.Length;)
        {
            int chunk = (int)Math.Min(buffer.Length, spec.Length - offset);
            Pattern.Fill(spec.Seed, offset, buffer.AsSpan(0, chunk));
            SocketError? error = await TrySendAsync(socket, buffer.AsMemory(0, chunk), token).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            offset += chunk;
        }

        return null;
    }

    private static async Task<SocketError?> TrySendAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        try
        {
            while (!data.IsEmpty)
            {
                data = data[await socket.SendAsync(data, SocketFlags.None, token).ConfigureAwait(false)..];
            }

            return null;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }
    }
}
