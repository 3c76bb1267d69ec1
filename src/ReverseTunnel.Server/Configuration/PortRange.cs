namespace ReverseTunnel.Server.Configuration;

/// <summary>An inclusive range of TCP ports; a single port is a range of one.</summary>
public readonly record struct PortRange(int First, int Last)
{
    /// <summary>Whether <paramref name="port"/> lies in this range.</summary>
    public bool Contains(int port) => port >= First && port <= Last;

    /// <inheritdoc />
    public override string ToString() => First == Last
        ? First.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{First}-{Last}");
}
