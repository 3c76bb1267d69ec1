using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ReverseTunnel.Agent.Tests.Infrastructure;

/// <summary>A real Kestrel wss endpoint on 127.0.0.1, port 0, serving <c>/tunnel</c> with a handler chosen by the test.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    /// <summary>The port Kestrel bound.</summary>
    public int Port { get; }

    /// <summary>Starts Kestrel with TLS (<paramref name="certificate"/>) and <paramref name="tunnel"/> at <c>/tunnel</c>.</summary>
    public static async Task<TestServer> StartAsync(X509Certificate2 certificate, RequestDelegate tunnel)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.Map("/tunnel", tunnel);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestServer(app, new Uri(address).Port);
    }

    /// <summary>A handler that refuses the upgrade with problem+json, as ws-server does.</summary>
    public static RequestDelegate Refuse(int status, string code, string detail) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        string body = $$"""{"type":"https://reverse-tunnel.dev/errors/{{code}}","title":"{{code}}","status":{{status}},"detail":"{{detail}}","code":"{{code}}"}""";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body));
    };

    /// <summary>A handler that answers like a WAF or load balancer in front of ws-server: a status and an HTML page, no problem code.</summary>
    public static RequestDelegate RefuseWithHtml(int status, string html) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(html));
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
    }
}
