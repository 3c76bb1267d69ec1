using System.Text.Json;
using ReverseTunnel.Server.Configuration;

namespace ReverseTunnel.Server.Clients;

/// <summary>
/// Turns the clients file into a <see cref="ClientDirectory"/>, reporting every problem at once.
/// Messages name clients by name or position and never quote a token, not even a malformed one.
/// </summary>
public static class ClientsFileParser
{
    private const int MaxNameLength = 100;

    /// <summary>Parses <paramref name="json"/>.</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="directory">The clients when valid.</param>
    /// <param name="problems">Every problem found; empty when valid.</param>
    public static bool TryParse(string json, out ClientDirectory directory, out IReadOnlyList<string> problems)
    {
        directory = ClientDirectory.Empty;
        ClientsFileDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, ClientsJsonContext.Default.ClientsFileDocument);
        }
        catch (JsonException ex)
        {
            // JsonException's own message may quote the offending text, which could be a token.
            problems = [$"The file is not valid clients JSON near line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1} (at {ex.Path ?? "$"}). Expected {{\"clients\":[{{\"name\":\"...\",\"tokenSha256\":\"...\",\"ports\":[\"5000\"]}}]}}."];
            return false;
        }

        if (document?.Clients is null)
        {
            problems = ["The file has no \"clients\" array. Expected {\"clients\":[ ... ]}; an empty registry is {\"clients\":[]}."];
            return false;
        }

        var errors = new List<string>();
        var clients = new List<ClientRegistration>();
        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < document.Clients.Count; i++)
        {
            if (ParseEntry(document.Clients[i], i, errors) is not { } client)
            {
                continue;
            }

            if (!names.TryAdd(client.Name, i))
            {
                errors.Add($"clients[{i}]: the name '{client.Name}' is already used by clients[{names[client.Name]}]; names must be unique.");
                continue;
            }

            if (clients.Find(c => c.HasTokenHash(client.TokenHash.Span)) is { } twin)
            {
                errors.Add($"clients[{i}] ('{client.Name}') has the same token as '{twin.Name}'; every client needs its own token.");
                continue;
            }

            clients.Add(client);
        }

        problems = errors;
        if (errors.Count > 0)
        {
            return false;
        }

        directory = new ClientDirectory(clients);
        return true;
    }

    private static ClientRegistration? ParseEntry(ClientsFileEntry? entry, int index, List<string> errors)
    {
        if (entry is null)
        {
            errors.Add($"clients[{index}] is null; remove it or give it a name, a token and ports.");
            return null;
        }

        int before = errors.Count;
        string label = string.IsNullOrWhiteSpace(entry.Name) ? $"clients[{index}]" : $"clients[{index}] ('{entry.Name}')";
        string name = entry.Name?.Trim() ?? string.Empty;
        if (name.Length == 0 || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            errors.Add($"{label}: \"name\" is required: 1 to {MaxNameLength} printable characters, such as \"acme-jira\".");
        }

        byte[]? hash = ParseToken(entry, label, errors);

        PortSet ports = PortSet.Empty;
        string? portError = "is missing";
        if (entry.Ports is null || !PortSet.TryParse(entry.Ports, out ports, out portError))
        {
            errors.Add($"{label}: \"ports\" {portError}; write e.g. [\"5000\", \"6000-6010\"].");
        }

        return errors.Count == before && hash is not null ? new ClientRegistration(name, hash, ports) : null;
    }

    private static byte[]? ParseToken(ClientsFileEntry entry, string label, List<string> errors)
    {
        bool hasToken = !string.IsNullOrEmpty(entry.Token);
        bool hasHash = !string.IsNullOrEmpty(entry.TokenSha256);
        if (hasToken == hasHash)
        {
            errors.Add($"{label}: set exactly one of \"token\" (plain text) or \"tokenSha256\" (64 hex digits from 'ws-server hash-token TOKEN').");
            return null;
        }

        if (hasToken)
        {
            return TokenHasher.Hash(entry.Token!.Trim());
        }

        string hex = entry.TokenSha256!.Trim();
        if (hex.Length != TokenHasher.HashLength * 2 || !hex.All(char.IsAsciiHexDigit))
        {
            errors.Add($"{label}: \"tokenSha256\" must be exactly {TokenHasher.HashLength * 2} hex digits (the SHA-256 of the token); get it with 'ws-server hash-token TOKEN'.");
            return null;
        }

        return Convert.FromHexString(hex);
    }
}
