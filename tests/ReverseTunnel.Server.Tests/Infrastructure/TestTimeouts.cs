namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>Upper bounds for waits in tests: generous for a loaded 2-core CI machine, never slept.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);
}
