using System.Runtime.InteropServices;

namespace ReverseTunnel.Agent.Runtime;

/// <summary>
/// Turns SIGTERM (docker stop), SIGINT (Ctrl-C) and SIGQUIT into a cancellation token, so the agent
/// can close its session gracefully and exit 0. A second signal is not intercepted: it ends the
/// process at once, for an operator who does not want to wait for the drain.
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly PosixSignalRegistration[] _registrations;

    /// <summary>Starts listening for the signals.</summary>
    public ShutdownSignal()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal),
        ];
    }

    /// <summary>Cancelled at the first signal.</summary>
    public CancellationToken Token => _stopping.Token;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _stopping.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        context.Cancel = true;
        _stopping.Cancel();
    }
}
