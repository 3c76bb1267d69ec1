namespace ReverseTunnel.EndToEnd.Tests.Harness;

/// <summary>The one test-wide timeout for a single step; generous for a loaded 2-core CI machine.</summary>
internal static class TestTimeout
{
    public static readonly TimeSpan Value = TimeSpan.FromSeconds(60);

    public static Task WithTimeout(this Task task) => task.WaitAsync(Value);

    public static Task<T> WithTimeout<T>(this Task<T> task) => task.WaitAsync(Value);
}
