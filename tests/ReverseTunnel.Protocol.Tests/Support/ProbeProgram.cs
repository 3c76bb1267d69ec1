using ReverseTunnel.Protocol.Tests.Bridging;

namespace ReverseTunnel.Protocol.Tests.Support;

/// <summary>
/// The test assembly's entry point, for probes that must run in a process of their own: the
/// runtime reads its socket switches (inline completions, engine threads) once per process, and
/// the test host runs with neither. A test starts <c>dotnet ReverseTunnel.Protocol.Tests.dll probe NAME</c>
/// with the switches set (<see cref="ProbeProcess"/>); the probe prints its observations and
/// exits 0, or exits non-zero with the reason.
/// </summary>
internal static class ProbeProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["probe", string name])
        {
            await Console.Error.WriteLineAsync("usage: ReverseTunnel.Protocol.Tests.dll probe NAME (tests run under dotnet test)");
            return 2;
        }

        try
        {
            string result = await SocketEngineBatchProbes.RunAsync(name).WaitAsync(TestTimeout.Value);
            Console.WriteLine(result);
            return 0;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync(e.ToString());
            return 1;
        }
    }
}
