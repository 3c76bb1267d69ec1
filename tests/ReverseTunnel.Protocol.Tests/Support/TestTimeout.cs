namespace ReverseTunnel.Protocol.Tests.Support;

/// <summary>The one test-wide timeout: long enough for a loaded 2-core CI machine, short enough to fail fast.</summary>
internal static class TestTimeout
{
    public static readonly TimeSpan Value = TimeSpan.FromSeconds(30);

    public static Task WithTimeout(this Task task) => task.WaitAsync(Value);

    public static Task<T> WithTimeout<T>(this Task<T> task) => task.WaitAsync(Value);

    public static Task WithTimeout(this ValueTask task) => task.AsTask().WaitAsync(Value);

    public static Task<T> WithTimeout<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Value);
}
