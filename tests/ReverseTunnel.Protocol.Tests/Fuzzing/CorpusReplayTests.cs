using ReverseTunnel.Protocol.Framing;
using ReverseTunnel.Protocol.Multiplexing;

namespace ReverseTunnel.Protocol.Tests.Fuzzing;

/// <summary>
/// The kept corpus (Fuzzing/Corpus/*.txt): hostile frame sequences, each with the outcome it must
/// have, replayed against a real server session on every test run. Inputs that the property tests
/// (or anything else) ever find to misbehave are added here, so the case stays fixed.
/// </summary>
/// <remarks>
/// File format: lines starting with <c>#</c> are comments; <c>expect: X</c> names the session's end,
/// an <see cref="ErrorCode"/> of a session error or <c>reads-on</c> (the session survived the input
/// and ended only when the test closed the transport); every other line is one frame in hex, sent
/// as its own WebSocket message after HELLO and after the server opened streams 1, 3 and 5.
/// </remarks>
public class CorpusReplayTests
{
    private static readonly string CorpusDirectory = Path.Combine(AppContext.BaseDirectory, "Fuzzing", "Corpus");

    public static TheoryData<string> Cases() => [.. Directory.GetFiles(CorpusDirectory, "*.txt").Select(f => Path.GetFileNameWithoutExtension(f)).Order()];

    [Fact]
    public void Corpus_IsPresent_HasCases() => Assert.True(Cases().Count >= 10, $"The corpus in {CorpusDirectory} is missing.");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RunAsync_CorpusCase_EndsAsRecorded(string name)
    {
        (string expect, byte[][] frames) = Load(name);

        SessionEnd end = await SessionPropertyTests.RunCaseAsync(frames, sendHello: true);

        if (expect == "reads-on")
        {
            Assert.Equal(SessionEndReason.TransportFailure, end.Reason);
        }
        else
        {
            Assert.Equal(SessionEndReason.ProtocolError, end.Reason);
            Assert.Equal(Enum.Parse<ErrorCode>(expect), end.Code);
        }
    }

    private static (string Expect, byte[][] Frames) Load(string name)
    {
        string? expect = null;
        var frames = new List<byte[]>();
        foreach (string raw in File.ReadAllLines(Path.Combine(CorpusDirectory, name + ".txt")))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith("expect:", StringComparison.Ordinal))
            {
                expect = line["expect:".Length..].Trim();
                continue;
            }

            frames.Add(Convert.FromHexString(line));
        }

        return (expect ?? throw new InvalidDataException($"Corpus case {name} has no 'expect:' line."), [.. frames]);
    }
}
