using System.Threading.Channels;
using ReverseTunnel.Agent.Connection;

namespace ReverseTunnel.Agent.Tests.Infrastructure;

/// <summary>An <see cref="IServerConnector"/> that returns what a test script says for each call, and reports each call.</summary>
public sealed class ScriptedConnector(Func<int, CancellationToken, Task<ConnectResult>> script) : IServerConnector
{
    private readonly Channel<int> _calls = Channel.CreateUnbounded<int>();
    private int _count;

    /// <summary>A connector whose every result is computed synchronously.</summary>
    public ScriptedConnector(Func<int, ConnectResult> script)
        : this((call, _) => Task.FromResult(script(call)))
    {
    }

    /// <summary>Connection attempts so far.</summary>
    public int Calls => Volatile.Read(ref _count);

    /// <inheritdoc />
    public async Task<ConnectResult> ConnectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int call = Interlocked.Increment(ref _count);
        ConnectResult result = await script(call, cancellationToken);
        _calls.Writer.TryWrite(call);
        return result;
    }

    /// <summary>Waits for attempt number <paramref name="call"/>.</summary>
    public async Task WaitForCallAsync(int call)
    {
        while (await _calls.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)) < call)
        {
        }
    }
}
