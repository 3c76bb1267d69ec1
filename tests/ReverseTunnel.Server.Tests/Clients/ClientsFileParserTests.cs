using ReverseTunnel.Server.Clients;

namespace ReverseTunnel.Server.Tests.Clients;

public sealed class ClientsFileParserTests
{
    [Fact]
    public void TryParse_PlainAndHashedTokens_BothFoundByToken()
    {
        string json = $$"""
            // Comments and trailing commas are allowed: people edit this file by hand.
            {"clients":[
              {"name":"acme-jira","tokenSha256":"{{TokenHasher.HashHex("jira-token")}}","ports":["5000","6000-6010"]},
              {"name":"x","token":"plaintext","ports":["5001"]},
            ]}
            """;

        Assert.True(ClientsFileParser.TryParse(json, out ClientDirectory directory, out IReadOnlyList<string> problems), string.Join(" ", problems));

        ClientRegistration jira = Assert.IsType<ClientRegistration>(directory.FindByToken("jira-token"));
        Assert.Equal("acme-jira", jira.Name);
        Assert.True(jira.Ports.Contains(6005));
        Assert.False(jira.Ports.Contains(5001));
        Assert.Equal("x", directory.FindByToken("plaintext")?.Name);
        Assert.Null(directory.FindByToken("plaintext "[..^2]));
        Assert.Null(directory.FindByToken("unknown"));
    }

    [Fact]
    public void TryParse_SeveralBadEntries_ReportsEachWithoutQuotingTokens()
    {
        const string json = """
            {"clients":[
              {"name":"","token":"secret-one","ports":["5000"]},
              {"name":"both","token":"secret-two","tokenSha256":"abcd","ports":["5000"]},
              {"name":"badhash","tokenSha256":"secret-three","ports":["5000"]},
              {"name":"noports","token":"secret-four"},
              {"name":"badport","token":"secret-five","ports":["70000"]},
              {"name":"dup","token":"secret-six","ports":["1"]},
              {"name":"DUP","token":"secret-seven","ports":["1"]},
              {"name":"twin","token":"secret-six","ports":["1"]}
            ]}
            """;

        Assert.False(ClientsFileParser.TryParse(json, out _, out IReadOnlyList<string> problems));

        Assert.Equal(7, problems.Count);
        Assert.Contains(problems, p => p.Contains("clients[0]", StringComparison.Ordinal) && p.Contains("\"name\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'both'", StringComparison.Ordinal) && p.Contains("exactly one", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'badhash'", StringComparison.Ordinal) && p.Contains("64 hex digits", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'noports'", StringComparison.Ordinal) && p.Contains("is missing", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'badport'", StringComparison.Ordinal) && p.Contains("70000", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'DUP'", StringComparison.Ordinal) && p.Contains("unique", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'twin'", StringComparison.Ordinal) && p.Contains("same token", StringComparison.Ordinal));
        Assert.All(problems, p => Assert.DoesNotContain("secret-", p, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("not json at all secret-token")]
    [InlineData("{\"clients\":[{\"name\":\"a\",\"token\":secret-token}]}")]
    [InlineData("{\"clients\":[{\"name\":\"a\",\"tokn\":\"secret-token\",\"ports\":[\"1\"]}]}")]
    [InlineData("{}")]
    public void TryParse_MalformedJson_FailsWithoutQuotingContent(string json)
    {
        Assert.False(ClientsFileParser.TryParse(json, out ClientDirectory directory, out IReadOnlyList<string> problems));

        Assert.Empty(directory.Clients);
        string problem = Assert.Single(problems);
        Assert.DoesNotContain("secret-token", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_EmptyRegistry_IsValid()
    {
        Assert.True(ClientsFileParser.TryParse("{\"clients\":[]}", out ClientDirectory directory, out _));
        Assert.Empty(directory.Clients);
    }
}
