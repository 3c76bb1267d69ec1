using System.Diagnostics;

namespace ReverseTunnel.EndToEnd.Tests.Harness;

/// <summary>Sends SIGTERM (what <c>docker stop</c> sends); .NET's Process.Kill only sends SIGKILL.</summary>
internal static class NativeSignals
{
    public static void Terminate(int pid)
    {
        using Process kill = Process.Start("kill", ["-TERM", pid.ToString()]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -TERM {pid} exited with {kill.ExitCode}.");
        }
    }
}
