using System.Text.Json;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>Tokens and clients files used across tests.</summary>
internal static class TestClients
{
    public const string AlphaToken = "3f1c2a9e-alpha-token-0001";
    public const string BetaToken = "7b4d8e21-beta-token-0002";
    public const string LimitedToken = "c0ffee00-limited-token-0003";
    public const string LimitedPort = "2000";

    /// <summary>alpha (plaintext token) and beta (hashed token) may use any port; limited only 2000.</summary>
    public static string Default() => Json(
        ("alpha", AlphaToken, false, ["1024-65535"]),
        ("beta", BetaToken, true, ["1024-65535"]),
        ("limited", LimitedToken, true, [LimitedPort]));

    public static string Json(params (string Name, string Token, bool Hashed, string[] Ports)[] clients) =>
        JsonSerializer.Serialize(new
        {
            clients = clients.Select(c => c.Hashed
                ? (object)new { name = c.Name, tokenSha256 = ReverseTunnel.Server.Clients.TokenHasher.HashHex(c.Token), ports = c.Ports }
                : new { name = c.Name, token = c.Token, ports = c.Ports }),
        });
}
