using ReverseTunnel.Bench.Infra;

namespace ReverseTunnel.Bench.Targets;

/// <summary>nginx with a generated configuration in a temp dir, serving /1k.bin (1 KiB).</summary>
internal static class NginxTarget
{
    public const string Resource = "/1k.bin";

    public static async Task<ToolProcess> StartAsync(string directory, int port)
    {
        string www = Path.Combine(directory, "www");
        Directory.CreateDirectory(www);
        Directory.CreateDirectory(Path.Combine(directory, "logs"));
        File.WriteAllBytes(Path.Combine(www, "1k.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024));
        string config = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(config, $$"""
            daemon off;
            master_process on;
            user root;
            worker_processes 2;
            worker_rlimit_nofile 16384;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/logs/error.log warn;
            events {
                worker_connections 8192;
            }
            http {
                access_log off;
                sendfile on;
                tcp_nopush off;
                tcp_nodelay on;
                keepalive_timeout 75s;
                keepalive_requests 100000000;
                default_type application/octet-stream;
                client_body_temp_path {{directory}}/client_body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                server {
                    listen 127.0.0.1:{{port}} backlog=4096;
                    root {{www}};
                    location / { }
                }
            }
            """);
        ToolProcess nginx = ToolProcess.Start("nginx", "nginx", ["-p", directory, "-e", Path.Combine(directory, "logs", "error.log"), "-c", config], directory);
        await PortProbe.WaitUntilAcceptingAsync(port, TimeSpan.FromSeconds(15), "nginx", () => nginx.Output + ReadErrorLog(directory));
        return nginx;
    }

    private static string ReadErrorLog(string directory)
    {
        string path = Path.Combine(directory, "logs", "error.log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }
}
