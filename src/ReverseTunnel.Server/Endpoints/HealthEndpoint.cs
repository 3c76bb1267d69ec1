using Microsoft.AspNetCore.Http;
using ReverseTunnel.Server.Diagnostics;

namespace ReverseTunnel.Server.Endpoints;

/// <summary><c>GET /</c> and <c>GET /healthz</c>: a plain-text liveness answer, as the quickstart's <c>curl -k</c> expects.</summary>
internal static class HealthEndpoint
{
    public static readonly string Text = $"ws-server {ServerVersion.Current} OK\n";

    public static IResult Handle() => Results.Text(Text, "text/plain; charset=utf-8");
}
