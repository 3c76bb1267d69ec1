namespace ReverseTunnel.Agent.Configuration;

/// <summary>
/// One setting of the agent: the environment variable that carries it, the command-line flag that
/// overrides it, and the help text. A single table of these drives both <c>--help</c> and parsing,
/// so the two cannot drift apart.
/// </summary>
/// <param name="Variable">The environment variable, e.g. <c>TUNNEL_PORT</c>.</param>
/// <param name="Flag">The command-line flag, e.g. <c>--tunnel-port</c>.</param>
/// <param name="Description">What the setting does, for <c>--help</c>.</param>
/// <param name="Default">The default shown in help; null when the setting is required.</param>
/// <param name="AlternateVariable">A second variable read when <paramref name="Variable"/> is unset (e.g. <c>https_proxy</c>).</param>
/// <param name="IsFlagOnly">True for switches that may be given without a value (<c>--insecure-skip-verify</c> means true).</param>
public sealed record AgentSetting(
    string Variable,
    string Flag,
    string Description,
    string? Default,
    string? AlternateVariable = null,
    bool IsFlagOnly = false)
{
    /// <summary>True when the agent cannot start without this setting.</summary>
    public bool IsRequired => Default is null;

    /// <summary>The description with the variable names and default appended, as shown by <c>--help</c>.</summary>
    public string HelpText
    {
        get
        {
            string variables = AlternateVariable is null ? Variable : $"{Variable} or {AlternateVariable}";
            string suffix = IsRequired ? "required" : $"default: {Default}";
            return $"{Description} [env: {variables}] ({suffix})";
        }
    }
}
