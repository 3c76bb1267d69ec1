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
    [InlineData(401, "invalid_session", null)]
    [InlineData(403, "forbidden", null)]
    [InlineData(426, "upgrade_required", null)]
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
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.UpgradeRequired)]
    [InlineData(HttpStatusCode.BadGateway)]
    public void Describe_NoProblemBody_IsRetriedAndNamesTheStatus(HttpStatusCode status)
    {
        ConnectFailure failure = ServerRefusal.Describe(status, problem: null);

        Assert.False(failure.IsTerminal);
        Assert.Null(failure.Fix);
        Assert.Contains($"HTTP {(int)status}", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown_token", 3)]
    [InlineData("port_not_allowed", 4)]
    [InlineData("port_in_use", 5)]
    [InlineData("protocol_version_mismatch", 6)]
    public void Describe_TerminalCodeWithoutDetail_UsesDocumentedMessageAndExitCode(string code, int exitCode)
    {
        ConnectFailure failure = ServerRefusal.Describe(HttpStatusCode.Forbidden, new ServerProblem(code, Title: null, Detail: null));

        Assert.Equal(exitCode, failure.ExitCode);
        Assert.False(string.IsNullOrEmpty(failure.Fix));
        Assert.Contains($"HTTP 403 {code}", failure.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_WafAnswers403WithHtml_IsRetriedWithStatusAndPageText()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        await using TestServer host = await TestServer.StartAsync(certificate, TestServer.RefuseWithHtml(403,
            "<html>\n<head><title>403 Forbidden</title></head>\n<body><h1>Request blocked</h1><p>by the &quot;edge&quot; WAF</p></body></html>"));

        ConnectFailure failure = await ConnectFailureClassificationTests.FailAsync(TestOptions.Create(host.Port, caCertificates: [certificate]));

        Assert.Equal(ConnectFailureKind.HttpStatus, failure.Kind);
        Assert.Equal(HttpStatusCode.Forbidden, failure.StatusCode);
        Assert.False(failure.IsTerminal);
        Assert.Null(failure.ProblemCode);
        Assert.Contains("HTTP 403", failure.Message, StringComparison.Ordinal);
        Assert.Contains("403 Forbidden Request blocked by the 'edge' WAF", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("<", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", failure.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectAsync_Unauthorized401WithoutBody_IsRetried()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        await using TestServer host = await TestServer.StartAsync(certificate, context =>
        {
            context.Response.StatusCode = 401;
            return Task.CompletedTask;
        });

        ConnectFailure failure = await ConnectFailureClassificationTests.FailAsync(TestOptions.Create(host.Port, caCertificates: [certificate]));

        Assert.Equal(HttpStatusCode.Unauthorized, failure.StatusCode);
        Assert.False(failure.IsTerminal);
        Assert.Contains("HTTP 401", failure.Message, StringComparison.Ordinal);
        Assert.Contains("WAF", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Excerpt_LongMultilineBody_IsOneLineAndCapped()
    {
        byte[] body = System.Text.Encoding.UTF8.GetBytes("<p>" + string.Concat(Enumerable.Repeat("blocked\r\nFAKE LOG LINE ", 50)) + "</p>");

        string? excerpt = ProblemCapturingHandler.Excerpt(body);

        Assert.NotNull(excerpt);
        Assert.DoesNotContain('\n', excerpt);
        Assert.DoesNotContain('\r', excerpt);
        Assert.InRange(excerpt.Length, 1, 201);
    }

    [Fact]
    public void Describe_ConflictWithoutCode_IsRetried()
    {
        Assert.False(ServerRefusal.Describe(HttpStatusCode.Conflict, problem: null).IsTerminal);
    }
}
