using System.CommandLine;

namespace ReverseTunnel.Agent.Configuration;

/// <summary>
/// The <c>ws-agent</c> command line: one flag per <see cref="AgentSetting"/>. Flags are parsed as
/// plain strings and validated by <see cref="AgentOptionsParser"/> together with the environment,
/// so that a bad flag and a bad variable are reported in the same message.
/// </summary>
public sealed class AgentCommandLine
{
    private readonly Dictionary<AgentSetting, Option<string>> _options = [];

    /// <summary>Builds the command with every flag.</summary>
    public AgentCommandLine()
    {
        Command = new RootCommand(
            "ws-agent: serves a port of ws-server from a local service, over one outbound WebSocket (wss). " +
            "Each setting is read from its environment variable; a flag overrides the variable. " +
            "Exit codes: 0 stopped, 1 unexpected error, 2 configuration invalid, 3 token rejected (401 unknown_token), " +
            "4 port not allowed (403 port_not_allowed), 5 port in use by another client (409 port_in_use), " +
            "6 protocol version mismatch (426 protocol_version_mismatch). " +
            "401/403/409/426 are terminal only when the server's problem code says so; " +
            "every other failure (including such a status from a proxy or WAF without that code) is retried with backoff.");
        foreach (AgentSetting setting in AgentSettings.All)
        {
            var option = new Option<string>(setting.Flag)
            {
                Description = setting.HelpText,
                HelpName = setting.IsFlagOnly ? "true|false" : "value",
                Arity = setting.IsFlagOnly ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
            };
            _options[setting] = option;
            Command.Options.Add(option);
        }
    }

    /// <summary>The root command; its help lists every flag with its variable and default.</summary>
    public RootCommand Command { get; }

    /// <summary>Parses <paramref name="args"/>.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => Command.Parse(args);

    /// <summary>
    /// The value given on the command line for <paramref name="setting"/>, or null when the flag is
    /// absent. A flag-only setting given without a value reads as <c>true</c>.
    /// </summary>
    public string? GetFlagValue(ParseResult result, AgentSetting setting)
    {
        Option<string> option = _options[setting];
        if (result.GetResult(option) is null)
        {
            return null;
        }

        string? value = result.GetValue(option);
        return value ?? (setting.IsFlagOnly ? "true" : null);
    }
}
