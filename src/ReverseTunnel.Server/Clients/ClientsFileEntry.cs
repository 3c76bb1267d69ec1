namespace ReverseTunnel.Server.Clients;

/// <summary>One client in the clients file. Exactly one of <see cref="Token"/> and <see cref="TokenSha256"/> is set.</summary>
public sealed class ClientsFileEntry
{
    /// <summary>Unique name shown in logs, such as <c>acme-jira</c>.</summary>
    public string? Name { get; set; }

    /// <summary>The token in plain text (the agent's CLIENT_UUID). Prefer <see cref="TokenSha256"/>.</summary>
    public string? Token { get; set; }

    /// <summary>SHA-256 of the token as 64 hex digits, as printed by <c>ws-server hash-token TOKEN</c>.</summary>
    public string? TokenSha256 { get; set; }

    /// <summary>Ports the client may open: single ports or ranges, such as <c>"5000"</c> or <c>"6000-6010"</c>.</summary>
    public List<string>? Ports { get; set; }
}
