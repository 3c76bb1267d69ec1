namespace ReverseTunnel.Agent.Reconnect;

/// <summary>How long to wait before the next connection attempt.</summary>
public interface IReconnectPolicy
{
    /// <summary>The longest delay the policy returns.</summary>
    TimeSpan MaxDelay { get; }

    /// <summary>The delay before the next attempt; each call counts one more failure.</summary>
    TimeSpan NextDelay();

    /// <summary>Starts over from the shortest delay, after a healthy session.</summary>
    void Reset();
}
