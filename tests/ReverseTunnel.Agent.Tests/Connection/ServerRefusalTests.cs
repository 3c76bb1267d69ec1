using System.Net;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Tests.Infrastructure;

namespace ReverseTunnel.Agent.Tests.Connection;

public sealed class ServerRefusalTests
{
    [Theory(Timeout = 30_000)]
    [InlineData(401, "unknown_token", 3)]
    [InlineData(403, "port_not_allowed", 4)]
    [InlineData(409, "port_in_use", 5)]
    [InlineData(426, "protocol_version_mismatch", 6)]
    [InlineData(409, "port_unavailable", null)]
    [InlineData(400, "bad_request", null)]
    [InlineData(503, "unavailable", null)]
    public async Task ConnectAsync_ServerRefuses_MapsStatusToExitCode(int status, string code, int? exitCode)
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        await using TestServer host = await TestServer.StartAsync(certificate, TestServer.Refuse(status, code, "detail from the server"));

        ConnectFailure failure = await ConnectFailureClassificationTests.FailAsync(TestOptions.Create(host.Port, caCertificates: [certificate]));

        Assert.Equal(ConnectFailureKind.HttpStatus, failure.Kind);
        Assert.Equal((HttpStatusCode)status, failure.StatusCode);
        Assert.Equal(code, failure.ProblemCode);
        Assert.Equal(exitCode, failure.ExitCode);
        Assert.Contains("detail from the server", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestOptions.Token, failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, 3)]
    [InlineData(HttpStatusCode.Forbidden, 4)]
    [InlineData(HttpStatusCode.UpgradeRequired, 6)]
    public void Describe_NoProblemBody_UsesDocumentedMessageAndExitCode(HttpStatusCode status, int exitCode)
    {
        ConnectFailure failure = ServerRefusal.Describe(status, problem: null);

        Assert.Equal(exitCode, failure.ExitCode);
        Assert.False(string.IsNullOrEmpty(failure.Fix));
        Assert.Contains($"HTTP {(int)status}", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_ConflictWithoutCode_IsRetried()
    {
        Assert.False(ServerRefusal.Describe(HttpStatusCode.Conflict, problem: null).IsTerminal);
    }
}
