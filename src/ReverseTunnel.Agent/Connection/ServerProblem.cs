using System.Text.Json;

namespace ReverseTunnel.Agent.Connection;

/// <summary>
/// The <c>application/problem+json</c> body ws-server sends with a refusal: <c>code</c>, <c>title</c>, <c>detail</c>.
/// </summary>
public sealed record ServerProblem(string? Code, string? Title, string? Detail)
{
    /// <summary>Parses a problem body; null when it is not a JSON object.</summary>
    public static ServerProblem? TryParse(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return new ServerProblem(Text(document.RootElement, "code"), Text(document.RootElement, "title"), Text(document.RootElement, "detail"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
