using System.Globalization;

namespace ReverseTunnel.Server.Configuration;

/// <summary>A set of ports written as <c>5000,6000-6010</c> (ranges inclusive, 1..65535).</summary>
public sealed class PortSet
{
    private readonly PortRange[] _ranges;

    private PortSet(PortRange[] ranges) => _ranges = ranges;

    /// <summary>The ranges in the order written.</summary>
    public IReadOnlyList<PortRange> Ranges => _ranges;

    /// <summary>Whether <paramref name="port"/> is in the set.</summary>
    public bool Contains(int port)
    {
        foreach (PortRange range in _ranges)
        {
            if (range.Contains(port))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses a comma-separated list; several items may also be passed separately.</summary>
    /// <param name="items">Items such as <c>5000</c>, <c>6000-6010</c> or <c>5000,6000-6010</c>.</param>
    /// <param name="set">The parsed set when valid.</param>
    /// <param name="error">What is wrong, fit to follow the setting's name; null when valid.</param>
    public static bool TryParse(IEnumerable<string?> items, out PortSet set, out string? error)
    {
        var ranges = new List<PortRange>();
        foreach (string? item in items)
        {
            foreach (string part in (item ?? string.Empty).Split(',', StringSplitOptions.TrimEntries))
            {
                if (!TryParseRange(part, out PortRange range))
                {
                    set = Empty;
                    error = $"has '{part}', which is not a port (1..65535) or a range such as 6000-6010";
                    return false;
                }

                ranges.Add(range);
            }
        }

        if (ranges.Count == 0)
        {
            set = Empty;
            error = "is empty; list at least one port or range such as 5000 or 6000-6010";
            return false;
        }

        set = new PortSet([.. ranges]);
        error = null;
        return true;
    }

    /// <summary>The set with no port.</summary>
    public static PortSet Empty { get; } = new([]);

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", _ranges);

    private static bool TryParseRange(string text, out PortRange range)
    {
        range = default;
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        string firstText = dash < 0 ? text : text[..dash].Trim();
        string lastText = dash < 0 ? text : text[(dash + 1)..].Trim();
        if (!TryParsePort(firstText, out int first) || !TryParsePort(lastText, out int last) || first > last)
        {
            return false;
        }

        range = new PortRange(first, last);
        return true;
    }

    private static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
}
