namespace ReverseTunnel.Server.Clients;

/// <summary>The clients file: <c>{"clients":[ ... ]}</c>.</summary>
public sealed class ClientsFileDocument
{
    /// <summary>The registered clients.</summary>
    public List<ClientsFileEntry>? Clients { get; set; }
}
