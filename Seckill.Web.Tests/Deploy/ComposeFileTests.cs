using System.Text.RegularExpressions;
using Seckill.Web.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using static Seckill.Web.Tests.Deploy.Shell;

namespace Seckill.Web.Tests.Deploy;

/// <summary>
/// <c>deploy/docker-compose.yml</c> and the <c>Dockerfile</c> it builds, checked as far as a machine
/// without a Docker engine can: the file parses; every instance has its own shard Redis and the
/// settings <c>deploy/cluster.sh</c> gives its instances (the script's are proven by a real run in
/// <see cref="ClusterScriptTests"/>); Nginx gets the shipped configuration with exactly these
/// instances, and it passes <c>nginx -t</c>; the Dockerfile's build steps, replayed in a folder,
/// publish a binary that runs.
/// </summary>
public sealed partial class ComposeFileTests
{
    private static readonly string ComposeFile = Path.Combine(Repo, "deploy/docker-compose.yml");

    [Fact]
    public void EveryInstanceHasItsOwnShardAndTheSettingsTheScriptGivesItsInstances()
    {
        var services = Services();
        var instances = InstanceNames(services);
        Assert.True(instances.Count >= 2, $"instances: {string.Join(", ", instances)}");
        var mysql = Environment(services, "mysql");
        var nginxAddress = Scalar(Map(Map(Map(services, "nginx"), "networks"), "seckill"), "ipv4_address");
        var scriptKeys = ScriptInstanceKeys();
        var imageKeys = DockerfileEnvironmentKeys();

        foreach (var name in instances)
        {
            var id = name["seckill-".Length..];
            var environment = Environment(services, name);
            Assert.Equal(id, environment["Seckill__InstanceId"]);
            AssertRedis(services, environment["Redis__Shard"], $"redis-shard-{id}");
            AssertRedis(services, environment["Redis__Pool"], "redis-pool");
            var connection = environment["ConnectionStrings__Mysql"];
            Assert.Contains("Server=mysql;", connection);
            Assert.Contains($"Database={mysql["MYSQL_DATABASE"]};", connection);
            Assert.Contains($"User Id={mysql["MYSQL_USER"]};", connection);
            Assert.Contains($"Password={mysql["MYSQL_PASSWORD"]}", connection);
            Assert.Equal(nginxAddress, environment["RateLimits__TrustedProxies__0"]);
            Assert.StartsWith("${SECKILL_SIGNING_KEY:?", environment["Auth__SigningKey"]);
            // The script's settings, no more and no fewer (the image sets the listening address).
            Assert.Equal(scriptKeys.Order(), environment.Keys.Union(imageKeys.Intersect(scriptKeys)).Order());
            Assert.Equal("Dockerfile", Scalar(Map(Map(services, name), "build"), "dockerfile"));
        }
        Assert.Single(instances, name => Map(services, name).Children.ContainsKey("healthcheck"));
        Assert.True(File.Exists(Path.Combine(Repo, "deploy", Scalar(Map(Map(services, instances[0]), "build"), "context"), "Dockerfile")));
    }

    [Fact]
    public void NginxGetsTheShippedConfigurationWithExactlyTheseInstancesAndItPassesNginxTest()
    {
        var services = Services();
        var instances = InstanceNames(services);
        var nginx = Map(services, "nginx");
        Assert.Equal(instances.Order(), ((YamlSequenceNode)nginx["depends_on"]).Select(node => ((YamlScalarNode)node).Value!).Order());
        var mount = ((YamlScalarNode)((YamlSequenceNode)nginx["volumes"])[0]).Value!.Split(':');
        Assert.True(File.Exists(Path.Combine(Repo, "deploy", mount[0])), $"{mount[0]} (relative to deploy/)");

        // The container's command, with its two paths pointed at this folder and without starting nginx.
        using var folder = new TempDirectory();
        var command = (YamlSequenceNode)nginx["command"];
        Assert.Equal(["sh", "-c"], command.Take(2).Select(node => ((YamlScalarNode)node).Value));
        var script = ((YamlScalarNode)command[2]).Value!;
        var generated = Path.Combine(folder.Path, "default.conf");
        script = script.Replace(mount[1], Path.Combine(Repo, "deploy", mount[0]))
            .Replace("/etc/nginx/conf.d/default.conf", generated);
        script = script[..script.IndexOf(" && exec nginx", StringComparison.Ordinal)];
        var (code, text) = Run("sh", ["-c", script], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, text);

        var conf = File.ReadAllText(generated);
        var servers = UpstreamServer().Matches(conf).Select(match => match.Groups[1].Value).ToList();
        Assert.Equal(instances.Select(name => $"{name}:8080"), servers);
        Assert.Contains("hash $seckill_buyer consistent;", conf);

        // nginx -t resolves upstream names: the instances become loopback addresses for the test.
        Directory.CreateDirectory(Path.Combine(folder.Path, "logs"));
        File.WriteAllText(generated, ServiceAddress().Replace(conf, match => $"127.0.0.1:{5000 + int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)}"));
        var main = Path.Combine(folder.Path, "nginx.conf");
        File.WriteAllText(main, $$"""
            pid {{folder.Path}}/nginx.pid;
            events {}
            http { include {{generated}}; }
            """);
        (code, text) = Run(Nginx, ["-t", "-p", folder.Path, "-e", Path.Combine(folder.Path, "logs/error.log"), "-c", main], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, text);
    }

    /// <summary>
    /// The build stage's COPY and RUN lines, replayed in a folder (what <c>.dockerignore</c> leaves
    /// out left out), then the runtime stage's copy: the published binary runs its <c>token</c> command.
    /// </summary>
    [Fact]
    public void TheDockerfilesBuildStepsReplayedInAFolderPublishABinaryThatRuns()
    {
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "src");
        var app = Path.Combine(folder.Path, "app");
        var ignored = File.ReadAllLines(Path.Combine(Repo, ".dockerignore")).Where(line => line.EndsWith('/')).ToList();
        var lines = Regex.Replace(File.ReadAllText(Path.Combine(Repo, "Dockerfile")), @"\\\n", " ").Split('\n');
        var stage = "";
        var steps = 0;
        foreach (var line in lines.Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#')))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words[0])
            {
                case "FROM":
                    stage = words[^1];
                    break;
                case "WORKDIR" when stage == "build":
                    Assert.Equal("/src", words[1]);
                    Directory.CreateDirectory(source);
                    break;
                case "COPY" when stage == "build":
                    // As Docker copies: a folder's contents into the destination, a file into it by its name.
                    foreach (var item in words[1..^1])
                    {
                        var destination = Path.Combine(source, words[^1]);
                        CopyIgnoring(Path.Combine(Repo, item.TrimEnd('/')), item.EndsWith('/') ? destination : Path.Combine(destination, Path.GetFileName(item)), ignored);
                    }
                    steps++;
                    break;
                case "RUN" when stage == "build":
                    var (code, text) = Run("bash", ["-c", line["RUN ".Length..].Replace(" /app", " " + app)], TimeSpan.FromMinutes(10), workingDirectory: source);
                    Assert.True(code == 0, $"{line}:\n{text}");
                    steps++;
                    break;
                case "COPY" when stage == "runtime":
                    Assert.Equal(["COPY", "--from=build", "/app", "."], words);
                    break;
                case "ENTRYPOINT":
                    Assert.Equal("""ENTRYPOINT ["dotnet", "Seckill.Web.dll"]""", line);
                    break;
            }
        }
        Assert.True(steps >= 4, $"{steps} build steps replayed");
        Assert.True(File.Exists(Path.Combine(app, "appsettings.json")));

        var (exit, token) = Run("dotnet", ["Seckill.Web.dll", "token", "--user", "1", "--admin"], TimeSpan.FromMinutes(1),
            new Dictionary<string, string> { ["Auth__SigningKey"] = "compose-test-signing-key-0123456789-abcdefghij" }, app);
        Assert.True(exit == 0, token);
        Assert.Matches(@"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\s*$", token);
    }

    private static void CopyIgnoring(string from, string to, IReadOnlyList<string> ignored)
    {
        if (File.Exists(from))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to, overwrite: true);
            return;
        }
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Repo, file).Replace('\\', '/');
            // ".dockerignore" as this repository uses it: "**/x/" anywhere, "x/" at the root.
            var skip = ignored.Any(pattern => pattern.StartsWith("**/", StringComparison.Ordinal)
                ? ("/" + relative).Contains("/" + pattern[3..], StringComparison.Ordinal)
                : relative.StartsWith(pattern, StringComparison.Ordinal));
            if (!skip)
            {
                var target = Path.Combine(to, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target, overwrite: true);
            }
        }
    }

    private static YamlMappingNode Services()
    {
        using var reader = File.OpenText(ComposeFile);
        var stream = new YamlStream();
        // Merge keys ("<<: *seckill") resolved as Compose resolves them.
        stream.Load(new MergingParser(new Parser(reader)));
        return Map((YamlMappingNode)stream.Documents[0].RootNode, "services");
    }

    private static List<string> InstanceNames(YamlMappingNode services) =>
        services.Children.Keys.Select(key => ((YamlScalarNode)key).Value!).Where(name => InstanceName().IsMatch(name)).Order().ToList();

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;

    private static Dictionary<string, string> Environment(YamlMappingNode services, string service) =>
        Map(Map(services, service), "environment").Children.ToDictionary(pair => ((YamlScalarNode)pair.Key).Value!, pair => ((YamlScalarNode)pair.Value).Value!);

    private static void AssertRedis(YamlMappingNode services, string address, string service)
    {
        Assert.Equal($"{service}:6379", address);
        var redis = Map(services, service);
        Assert.StartsWith("redis:", Scalar(redis, "image"));
        var command = ((YamlSequenceNode)redis["command"]).Select(node => ((YamlScalarNode)node).Value).ToList();
        Assert.Equal("yes", command[command.IndexOf("--appendonly") + 1]);
        Assert.Contains(((YamlScalarNode)((YamlSequenceNode)redis["volumes"])[0]).Value, new[] { $"{service}:/data" });
    }

    /// <summary>The settings deploy/cluster.sh exports to each instance it starts.</summary>
    private static HashSet<string> ScriptInstanceKeys()
    {
        var script = File.ReadAllText(Path.Combine(Repo, "deploy/cluster.sh"));
        var body = script[script.IndexOf("start_instance() {", StringComparison.Ordinal)..];
        body = body[..body.IndexOf("\n}\n", StringComparison.Ordinal)];
        return body.Split('\n').Where(line => line.TrimStart().StartsWith("export ", StringComparison.Ordinal))
            .SelectMany(line => ExportedName().Matches(line).Select(match => match.Groups[1].Value)).ToHashSet();
    }

    /// <summary>The settings the image itself sets (its ENV lines).</summary>
    private static HashSet<string> DockerfileEnvironmentKeys()
    {
        var dockerfile = Regex.Replace(File.ReadAllText(Path.Combine(Repo, "Dockerfile")), @"\\\n", " ");
        return dockerfile.Split('\n').Where(line => line.StartsWith("ENV ", StringComparison.Ordinal))
            .SelectMany(line => ExportedName().Matches(line).Select(match => match.Groups[1].Value)).ToHashSet();
    }

    [GeneratedRegex(@"^seckill-\d+$")]
    private static partial Regex InstanceName();

    // NAME=value or NAME="value with spaces" (a quoted value is passed over whole).
    [GeneratedRegex(@"(?:^|\s)([A-Za-z][A-Za-z0-9_]*)=(?:""[^""]*""|\S*)")]
    private static partial Regex ExportedName();

    [GeneratedRegex(@"^\s*server\s+([^\s{;]+:\d+)", RegexOptions.Multiline)]
    private static partial Regex UpstreamServer();

    [GeneratedRegex(@"seckill-(\d+):8080")]
    private static partial Regex ServiceAddress();
}
