namespace ReverseTunnel.Agent.Configuration;

/// <summary>The outcome of parsing: options when valid, otherwise every problem found.</summary>
/// <param name="Options">The options; null when <paramref name="Errors"/> is not empty.</param>
/// <param name="Errors">One entry per problem, naming the variable and the fix; never contains the token.</param>
public sealed record OptionsParseResult(AgentOptions? Options, IReadOnlyList<string> Errors)
{
    /// <summary>True when the options are valid.</summary>
    public bool IsValid => Options is not null;
}
