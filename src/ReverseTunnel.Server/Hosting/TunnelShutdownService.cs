using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Tunnels;

namespace ReverseTunnel.Server.Hosting;

/// <summary>
/// Drains the tunnels on shutdown. It runs in the stopping phase, before Kestrel stops, so sessions
/// close with GOAWAY and open connections get <see cref="TunnelOptions.ShutdownTimeout"/> to finish
/// while Kestrel still carries them.
/// </summary>
internal sealed class TunnelShutdownService(TunnelManager tunnels, IOptions<TunnelOptions> options) : IHostedLifecycleService
{
    public Task StoppingAsync(CancellationToken cancellationToken) =>
        tunnels.ShutdownAsync(options.Value.ShutdownTimeout, cancellationToken);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
