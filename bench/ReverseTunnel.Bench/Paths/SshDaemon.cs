using ReverseTunnel.Bench.Infra;
using ReverseTunnel.EndToEnd.Tests.Harness;

namespace ReverseTunnel.Bench.Paths;

/// <summary>
/// Debian's sshd on a loopback port with a generated sshd_config, a throwaway host key and a
/// throwaway user key, all in a temp dir: /etc/ssh and ~/.ssh are never read or written.
/// </summary>
internal sealed class SshDaemon : IAsyncDisposable
{
    private SshDaemon(string directory, int port, ToolProcess process)
    {
        Directory = directory;
        Port = port;
        Process = process;
    }

    public string Directory { get; }

    public int Port { get; }

    public ToolProcess Process { get; }

    public string UserKey => Path.Combine(Directory, "user_key");

    public static async Task<SshDaemon> StartAsync(string name)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory($"tunnel-bench-{name}-").FullName;
        System.IO.Directory.CreateDirectory("/run/sshd"); // privilege separation directory
        foreach (string key in new[] { "host_key", "user_key" })
        {
            var (code, _, output) = await ToolProcess.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", $"tunnel-bench-{key}", "-f", Path.Combine(dir, key)], TimeSpan.FromSeconds(30));
            if (code != 0)
            {
                throw new InvalidOperationException($"ssh-keygen failed ({code}): {output}");
            }
        }

        File.Copy(Path.Combine(dir, "user_key.pub"), Path.Combine(dir, "authorized_keys"));
        int port = FreePort.Next();
        string config = Path.Combine(dir, "sshd_config");
        File.WriteAllText(config, $"""
            Port {port}
            ListenAddress 127.0.0.1
            HostKey {dir}/host_key
            PidFile {dir}/sshd.pid
            AuthorizedKeysFile {dir}/authorized_keys
            UsePAM no
            StrictModes no
            PermitRootLogin prohibit-password
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            AllowTcpForwarding yes
            PrintMotd no
            PrintLastLog no
            UseDNS no

            """);
        ToolProcess sshd = ToolProcess.Start($"sshd ({name})", "/usr/sbin/sshd", ["-D", "-e", "-f", config], dir);
        var daemon = new SshDaemon(dir, port, sshd);
        try
        {
            await sshd.WaitForLineAsync($@"Server listening on 127\.0\.0\.1 port {port}", TimeSpan.FromSeconds(30));
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
