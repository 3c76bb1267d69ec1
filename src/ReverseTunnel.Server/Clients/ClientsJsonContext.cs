using System.Text.Json.Serialization;

namespace ReverseTunnel.Server.Clients;

/// <summary>
/// Source-generated JSON for the clients file. Comments and trailing commas are allowed since people
/// edit the file by hand; unknown properties are errors so that a misspelt key is not silently ignored.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = true)]
[JsonSerializable(typeof(ClientsFileDocument))]
internal sealed partial class ClientsJsonContext : JsonSerializerContext;
