using System.Collections;
using System.CommandLine;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Agent.Configuration;
using ReverseTunnel.Agent.Connection;
using ReverseTunnel.Agent.Diagnostics;
using ReverseTunnel.Agent.Reconnect;

namespace ReverseTunnel.Agent.Runtime;

/// <summary>Wires the parsed configuration, logging, signals and the loop together for <c>Main</c>.</summary>
public static class AgentHost
{
    /// <summary>Validates the configuration, runs the agent and returns the exit code.</summary>
    public static async Task<int> RunAsync(AgentCommandLine commandLine, ParseResult parsed, IReadOnlyDictionary<string, string?> environment)
    {
        OptionsParseResult configuration = AgentOptionsParser.Parse(commandLine, parsed, environment);
        using ILoggerFactory loggerFactory = ConsoleLogging.Create(configuration.Options?.LogLevel ?? LogLevel.Information);
        ILogger logger = loggerFactory.CreateLogger("ReverseTunnel.Agent");
        if (configuration.Options is not { } options)
        {
            AgentLog.ConfigurationInvalid(logger, configuration.Errors.Count, string.Join(" | ", configuration.Errors));
            return ExitCodes.ConfigurationInvalid;
        }

        try
        {
            using var shutdown = new ShutdownSignal();
            var connector = new ServerConnector(options);
            string route = connector.EffectiveProxy is { } proxy ? proxy.Authority : "none (direct)";
            AgentLog.Starting(logger, AgentVersion.Current, options.ServerUrl, options.TunnelPort, options.Target, route);
            if (options.InsecureSkipVerify)
            {
                AgentLog.TlsVerificationDisabled(logger, options.ServerUrl);
            }

            var agent = new TunnelAgent(options, connector, new ExponentialBackoffPolicy(options.ReconnectMaxDelay), TimeProvider.System, loggerFactory);
            return await agent.RunAsync(shutdown.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            AgentLog.UnexpectedError(logger, ex);
            return ExitCodes.UnexpectedError;
        }
    }

    /// <summary>The process environment as a dictionary (the parser never reads the environment itself).</summary>
    public static IReadOnlyDictionary<string, string?> ReadEnvironment()
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = entry.Value as string;
        }

        return variables;
    }
}
