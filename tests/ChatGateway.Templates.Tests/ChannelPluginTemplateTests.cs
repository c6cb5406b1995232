using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace ChatGateway.Templates.Tests;

/// <summary>
/// <c>dotnet new chatgateway-channel -n Acme</c> run the way the README says, at the root of a copy of this repository
/// (its tracked files), with the template installed into a hive of the test's own (never the user's): the files, the
/// plugins.json entry and the solution entries it makes; the copy then builds, the new plugin passes its tests (the
/// conformance kit), ships in the gateway's plugins folder, and a gateway started in Development runs the new instance on
/// its placeholder secrets and takes a signed webhook.
/// </summary>
public sealed class ChannelPluginTemplateTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Build = TimeSpan.FromMinutes(15);

    [Fact]
    public async Task NewChannelPlugin_AtTheRepositoryRoot_BuildsPassesTheKitAndRunsInDevelopment()
    {
        var log = TestContext.Current.TestOutputHelper!;
        var repository = CopyOfRepository();
        var hive = Directory.CreateTempSubdirectory("cg-template-hive-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            await RunAsync(repository, Quick, "new", "install", Path.Combine(repository, "templates", "ChannelPlugin"), "--debug:custom-hive", hive);
            var created = await RunAsync(repository, Quick, "new", "chatgateway-channel", "-n", "Acme", "--debug:custom-hive", hive);
            log.WriteLine($"dotnet new install + dotnet new: {clock.Elapsed.TotalSeconds:0.0} s{Environment.NewLine}{created}");

            Assert.Contains("Successfully modified plugins.json.", created);
            AssertGenerated(repository);

            clock.Restart();
            await RunAsync(repository, Build, "build", "ChatGateway.slnx", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-v:q", "-nologo");
            log.WriteLine($"dotnet build ChatGateway.slnx: {clock.Elapsed.TotalSeconds:0.0} s");
            var deployed = Path.Combine(repository, "src", "Gateway", "bin", "Debug", "net10.0", "plugins", "Acme");
            Assert.True(File.Exists(Path.Combine(deployed, "ChatGateway.Plugins.Acme.dll")), "The gateway's build did not deploy plugins/Acme/.");
            Assert.True(File.Exists(Path.Combine(deployed, "settings.Development.json")), "plugins/Acme/ lacks the plugin's settings.Development.json.");
            Assert.False(File.Exists(Path.Combine(deployed, "ChatGateway.Abstractions.dll")), "plugins/Acme/ carries its own copy of the contract assembly.");

            clock.Restart();
            var tested = await RunAsync(repository, Build, "test", "tests/ChatGateway.Plugins.Acme.Tests", "--no-build");
            log.WriteLine($"dotnet test tests/ChatGateway.Plugins.Acme.Tests: {clock.Elapsed.TotalSeconds:0.0} s{Environment.NewLine}{tested}");

            clock.Restart();
            await AssertRunsInDevelopmentAsync(repository);
            log.WriteLine($"gateway in Development with the acme instance: {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            TryDelete(repository);
            TryDelete(hive);
        }
    }

    private static void AssertGenerated(string root)
    {
        string[] files =
        [
            "src/Plugins/Acme/ChatGateway.Plugins.Acme.csproj",
            "src/Plugins/Acme/AcmeChannelPlugin.cs",
            "src/Plugins/Acme/Sending/IAcmeApi.cs",
            "src/Plugins/Acme/Webhooks/AcmeWebhookEndpoints.cs",
            "src/Plugins/Acme/README.md",
            "src/Plugins/Acme/settings.Development.json",
            "tests/ChatGateway.Plugins.Acme.Tests/ChatGateway.Plugins.Acme.Tests.csproj",
            "tests/ChatGateway.Plugins.Acme.Tests/AcmeConformanceTests.cs",
            "tests/ChatGateway.Plugins.Acme.Tests/FakeAcmeApi.cs",
            "tests/ChatGateway.Plugins.Acme.Tests/Payloads/message.json",
        ];
        Assert.All(files, file => Assert.True(File.Exists(Path.Combine(root, file)), $"dotnet new did not create {file}."));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "src", "Plugins", "Acme"), "*ChannelTemplate*", SearchOption.AllDirectories));
        Assert.DoesNotContain("ChannelTemplate", File.ReadAllText(Path.Combine(root, "src", "Plugins", "Acme", "AcmeChannelPlugin.cs")));
        Assert.Contains("ChannelType => \"acme\"", File.ReadAllText(Path.Combine(root, "src", "Plugins", "Acme", "AcmeChannelPlugin.cs")));

        // plugins.json: the new instance last, keyed "acme", without a secret; the others as they were, in order.
        using var plugins = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "plugins.json")));
        var entries = plugins.RootElement.GetProperty("plugins").EnumerateObject().ToList();
        using var before = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "plugins.json")));
        Assert.Equal([.. before.RootElement.GetProperty("plugins").EnumerateObject().Select(e => e.Name), "acme"], entries.Select(e => e.Name));
        var acme = entries[^1].Value;
        Assert.Equal("Acme", acme.GetProperty("plugin").GetString());
        Assert.True(acme.GetProperty("enabled").GetBoolean());
        Assert.Equal(["ApiBaseAddress"], acme.GetProperty("settings").EnumerateObject().Select(s => s.Name));

        // ChatGateway.slnx: the plugin in its own folder like the others, its tests with the others.
        var solution = XDocument.Load(Path.Combine(root, "ChatGateway.slnx"));
        string? FolderOf(string path) => solution.Descendants("Project").SingleOrDefault(p => (string?)p.Attribute("Path") == path)?.Parent?.Attribute("Name")?.Value;
        Assert.Equal("/src/Plugins/Acme/", FolderOf("src/Plugins/Acme/ChatGateway.Plugins.Acme.csproj"));
        Assert.Equal("/tests/", FolderOf("tests/ChatGateway.Plugins.Acme.Tests/ChatGateway.Plugins.Acme.Tests.csproj"));
    }

    /// <summary>
    /// The built gateway, started as <c>dotnet run</c> starts it (Development, the repository's root as working directory):
    /// the acme instance runs on the placeholders of settings.Development.json and takes a webhook signed with them.
    /// </summary>
    private static async Task AssertRunsInDevelopmentAsync(string root)
    {
        var port = FreePort();
        var gateway = Path.Combine(root, "src", "Gateway", "bin", "Debug", "net10.0", "ChatGateway.Gateway.dll");
        var start = DotnetCli.StartInfo(root, DotnetCli.Dotnet, [gateway]);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (!await IsLiveAsync(http))
            {
                Assert.False(process.HasExited, $"The gateway stopped at start-up:{Environment.NewLine}{DotnetCli.Tail(output)}");
                Assert.True(DateTime.UtcNow < deadline, $"The gateway did not answer /healthz/live within 2 minutes:{Environment.NewLine}{DotnetCli.Tail(output)}");
                await Task.Delay(250, TestContext.Current.CancellationToken);
            }

            Assert.Contains("Channel acme (plugin Acme): running", DotnetCli.Tail(output, int.MaxValue));

            // Signed with the placeholder the plugin ships for Development, as the provider would sign it.
            using var placeholders = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "src", "Plugins", "Acme", "settings.Development.json")));
            var secret = placeholders.RootElement.GetProperty("ChannelSecret").GetString()!;
            var body = File.ReadAllBytes(Path.Combine(root, "tests", "ChatGateway.Plugins.Acme.Tests", "Payloads", "message.json"));
            using var request = new HttpRequestMessage(HttpMethod.Post, "/channels/acme/webhook") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("X-Acme-Signature", Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK,
                $"The acme webhook answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}{Environment.NewLine}{DotnetCli.Tail(output)}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<bool> IsLiveAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("/healthz/live", TestContext.Current.CancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<string> RunAsync(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var (exitCode, output) = await DotnetCli.RunAsync(workingDirectory, timeout, DotnetCli.Dotnet, arguments);
        Assert.True(exitCode == 0, $"'dotnet {string.Join(' ', arguments)}' exited with {exitCode}:{Environment.NewLine}{output}");
        return output;
    }

    /// <summary>The repository this test was built from: the folder of ChatGateway.slnx above the test's output.</summary>
    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "ChatGateway.slnx")))
        {
            root = root.Parent ?? throw new InvalidOperationException("ChatGateway.slnx not found above the test's output folder.");
        }

        return root.FullName;
    }

    /// <summary>The repository's tracked files (as they are in the working tree) in a new temporary folder.</summary>
    private static string CopyOfRepository()
    {
        var root = new DirectoryInfo(RepositoryRoot());

        var copy = Directory.CreateTempSubdirectory("cg-template-repo-").FullName;
        foreach (var file in TrackedFiles(root.FullName))
        {
            var source = Path.Combine(root.FullName, file);
            if (File.Exists(source))
            {
                var target = Path.Combine(copy, file);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target);
            }
        }

        return copy;
    }

    private static IEnumerable<string> TrackedFiles(string root)
    {
        var start = DotnetCli.StartInfo(root, "git", ["ls-files", "-z"]);
        try
        {
            using var git = Process.Start(start)!;
            git.StandardInput.Close();
            var listing = git.StandardOutput.ReadToEnd();
            git.WaitForExit();
            if (git.ExitCode == 0 && listing.Length > 0)
            {
                return listing.Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No git: a source archive. Its files, without build output.
        }

        string[] skipped = ["bin", "obj", ".git", "data", "TestResults", ".vs"];
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path))
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(skipped.Contains));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
