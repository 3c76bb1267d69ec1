using ReverseTunnel.Server.Clients;

namespace ReverseTunnel.Server.Hosting;

/// <summary>
/// <c>ws-server hash-token TOKEN</c> prints the token's SHA-256 for the clients file's
/// <c>tokenSha256</c>. Without TOKEN (or with <c>-</c>) the token is read from standard input, which
/// keeps it out of the shell history.
/// </summary>
public static class HashTokenCommand
{
    /// <summary>The command's name, the first argument.</summary>
    public const string Name = "hash-token";

    /// <summary>Runs the command with the arguments after its name; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextReader input, TextWriter output, TextWriter error)
    {
        string? token = args.Count switch
        {
            0 => input.ReadLine(),
            1 when args[0] == "-" => input.ReadLine(),
            1 => args[0],
            _ => null,
        };

        token = token?.Trim();
        if (string.IsNullOrEmpty(token))
        {
            error.WriteLine($"Usage: ws-server {Name} TOKEN   (or: echo TOKEN | ws-server {Name})");
            error.WriteLine("Prints the SHA-256 of TOKEN for \"tokenSha256\" in the clients file.");
            return ExitCodes.InvalidConfiguration;
        }

        output.WriteLine(TokenHasher.HashHex(token));
        return ExitCodes.Success;
    }
}
