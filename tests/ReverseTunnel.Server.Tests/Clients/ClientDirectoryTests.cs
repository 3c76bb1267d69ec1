using System.Reflection;
using System.Security.Cryptography;
using ReverseTunnel.Server.Clients;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Tests.Infrastructure;

namespace ReverseTunnel.Server.Tests.Clients;

/// <summary>
/// The token lookup must not leak, through its duration, which registration matched or how much of
/// a hash did. Timing itself is too noisy to assert on a shared 2-core machine, so these tests pin
/// down the two properties that make the lookup constant-time instead: every registration is
/// compared whatever the outcome, and each comparison is CryptographicOperations.FixedTimeEquals.
/// </summary>
public sealed class ClientDirectoryTests
{
    private const int Count = 5;

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(Count - 1)]
    public void FindByToken_MatchAtAnyPosition_FoundAndEveryRegistrationCompared(int position)
    {
        (ClientDirectory directory, ClientRegistration[] clients, ReadCountingMemory[] hashes) = Create();
        Assert.All(hashes, h => Assert.Equal(0, h.Reads));

        ClientRegistration? found = directory.FindByToken(Token(position));

        Assert.Same(clients[position], found);

        // A scan that stopped at the match would leave the later hashes unread (and answer faster
        // for tokens near the front).
        Assert.All(hashes, h => Assert.True(h.Reads >= 1, "every registration's hash must be compared"));
    }

    [Fact]
    public void FindByToken_UnknownToken_NullAfterComparingEveryRegistration()
    {
        (ClientDirectory directory, _, ReadCountingMemory[] hashes) = Create();
        Assert.All(hashes, h => Assert.Equal(0, h.Reads));

        Assert.Null(directory.FindByToken("not-a-registered-token"));

        Assert.All(hashes, h => Assert.True(h.Reads >= 1, "every registration's hash must be compared"));
    }

    [Fact]
    public void FindByTokenHash_HashDiffersInFirstOrLastOctetOrIsAPrefix_NotFound()
    {
        (ClientDirectory directory, _, _) = Create();
        byte[] hash = TokenHasher.Hash(Token(1));
        byte[] firstOctet = [.. hash];
        firstOctet[0] ^= 1;
        byte[] lastOctet = [.. hash];
        lastOctet[^1] ^= 1;

        Assert.Null(directory.FindByTokenHash(firstOctet));
        Assert.Null(directory.FindByTokenHash(lastOctet));
        Assert.Null(directory.FindByTokenHash(hash.AsSpan(0, hash.Length - 1)));
        Assert.Null(directory.FindByTokenHash([]));
    }

    [Fact]
    public void HasTokenHash_Implementation_ComparesWithFixedTimeEquals()
    {
        // Behaviour cannot tell FixedTimeEquals from SequenceEqual (same answers, different timing),
        // so this reads the method's IL: a refactoring to an early-exit comparison fails here.
        MethodInfo fixedTimeEquals = typeof(CryptographicOperations).GetMethod(
            nameof(CryptographicOperations.FixedTimeEquals), [typeof(ReadOnlySpan<byte>), typeof(ReadOnlySpan<byte>)])!;
        MethodInfo hasTokenHash = typeof(ClientRegistration).GetMethod(nameof(ClientRegistration.HasTokenHash))!;

        Assert.Contains(fixedTimeEquals, CalledMethods(hasTokenHash));
    }

    private static string Token(int index) => $"token-{index:D2}-5e1f0c";

    private static (ClientDirectory Directory, ClientRegistration[] Clients, ReadCountingMemory[] Hashes) Create()
    {
        ReadCountingMemory[] hashes = [.. Enumerable.Range(0, Count).Select(i => new ReadCountingMemory(TokenHasher.Hash(Token(i))))];
        ClientRegistration[] clients = [.. hashes.Select((h, i) => new ClientRegistration($"client-{i}", h.Octets, PortSet.Empty))];
        return (new ClientDirectory(clients), clients, hashes);
    }

    /// <summary>The methods named by call/callvirt instructions in <paramref name="method"/>'s body.</summary>
    private static List<MethodBase> CalledMethods(MethodInfo method)
    {
        const byte Call = 0x28;
        const byte CallVirt = 0x6F;
        byte[] il = method.GetMethodBody()!.GetILAsByteArray()!;
        var called = new List<MethodBase>();
        for (int i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] is not (Call or CallVirt))
            {
                continue;
            }

            // Scanning octet by octet may read an operand as an opcode; such a "token" does not
            // resolve to a method, and only a resolved one counts.
            try
            {
                called.Add(method.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1))!);
            }
            catch (Exception ex) when (ex is ArgumentException or BadImageFormatException)
            {
            }
        }

        return called;
    }
}
