using System.CommandLine;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Runtime;
using ReverseTunnel.Protocol.Bridging;

// A plain async Main rather than the Generic Host, on purpose: the agent is one loop whose result
// is the exit code (0, 2-6 mean different things to the operator); its configuration is exactly the
// documented variables (the host would also bind DOTNET_*, appsettings.json and arbitrary keys); and
// the host's lifetime would stop it with its own shutdown timeout rather than the session drain.
// System.CommandLine's own signal handling is off (ProcessTerminationTimeout = null): ShutdownSignal does it.
InlineSocketCompletions.EnableUnlessConfigured();
SocketEngineThreads.SetUnlessConfigured(SocketEngineThreads.AgentDefault);
var commandLine = new AgentCommandLine();
commandLine.Command.SetAction((parsed, _) => AgentHost.RunAsync(commandLine, parsed, AgentHost.ReadEnvironment()));
ParseResult parseResult = commandLine.Parse(args);
if (parseResult.Errors.Count > 0)
{
    foreach (System.CommandLine.Parsing.ParseError error in parseResult.Errors)
    {
        await Console.Error.WriteLineAsync($"ws-agent: {error.Message}");
    }

    await Console.Error.WriteLineAsync("Run 'ws-agent --help' for the flags and variables.");
    return ExitCodes.ConfigurationInvalid;
}

return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
