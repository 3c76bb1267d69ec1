using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Server.Diagnostics;

namespace ReverseTunnel.Server.Hosting;

/// <summary>
/// Logs <c>Listening on https://{address}:{port}</c> once Kestrel is bound, with the real port (also
/// when 0 asked for a free one): scripts and tests read the port from this line.
/// </summary>
internal sealed class ListeningAnnouncer(IServer server, ILogger<ListeningAnnouncer> logger) : IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        foreach (string address in server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            BindingAddress binding = BindingAddress.Parse(address);
            ServerLog.Listening(logger, binding.Host, binding.Port);
        }

        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
