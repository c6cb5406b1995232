using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Security;

/// <summary>
/// Production never runs on demo settings: the demo password and the placeholder SMS token stop start-up with
/// the key named; without agents the gateway says how to create the first, and create-agent (the built dll, as
/// an operator runs it) does. Bad inputs tried: a shipped demo hash, a fresh hash of "demo-password", the
/// placeholder token under another channel id, create-agent with the password on the command line, a short
/// password, an unknown skill, an existing user name.
/// </summary>
public sealed partial class ProductionStartTests
{
    private const string ShippedAliceHash = "pbkdf2-sha256$210000$I2aylcunUr1C2ZIydtKuQg==$kMIgl71IQT/UJ9ORopIZboiio6DLxJRkubt4dZbiO/o=";

    private static async Task<string> StartFailureAsync(IDictionary<string, string?> settings, bool demoAgents, string environment = "Production")
    {
        await using var host = GatewayHost.Create(GatewayHost.DefaultBackend, null, settings, demoAgents: demoAgents, environment: environment);
        var failure = await Record.ExceptionAsync(host.StartServerAsync);
        Assert.NotNull(failure);
        return failure.ToString();
    }

    [Fact]
    public async Task Start_InProductionWithTheDemoPassword_IsRefusedNamingTheKey()
    {
        // A fresh hash of demo-password for alice, bob and carol (seeds 0-2) and the shipped one as seed 3.
        var failure = await StartFailureAsync(new Dictionary<string, string?>
        {
            ["Agents:Seed:3:UserName"] = "dave",
            ["Agents:Seed:3:PasswordHash"] = ShippedAliceHash,
        }, demoAgents: true);
        Assert.Contains("Agents:Seed:0:PasswordHash is the demo password", failure);
        Assert.Contains("Agents:Seed:3:PasswordHash is the demo password", failure);
    }

    [Fact]
    public async Task Start_InProductionWithThePlaceholderToken_IsRefusedNamingTheKey()
    {
        var failure = await StartFailureAsync(new Dictionary<string, string?> { ["Channels:sms-eu:AuthToken"] = "dev-only-placeholder-token" }, demoAgents: false);
        Assert.Contains("Channels:sms-eu:AuthToken is the placeholder", failure);
    }

    [Fact]
    public async Task Start_InStagingWithRealSecrets_Starts()
    {
        // Staging is not Development: real hashes are fine, and so is a real token.
        await using var host = GatewayHost.Create(GatewayHost.DefaultBackend, null, new Dictionary<string, string?>
        {
            ["Agents:Seed:0:UserName"] = "alice",
            ["Agents:Seed:0:PasswordHash"] = Agents.PasswordHasher.Hash("a-real-secret-password"),
        }, demoAgents: false, environment: "Staging");
        await host.StartServerAsync();
        using var http = host.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await SecurityClient.LoginAsync(http, "alice", "a-real-secret-password")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, "bob", GatewayHost.DemoPassword)).StatusCode);
    }

    [Fact]
    public async Task Production_StoreFromBeforeRoles_LosesTheOldDemoAgents()
    {
        // A store written by the previous version: the demo agents seeded from the old appsettings.json, with
        // no trace of where they came from (FromConfiguration false, no PasswordChangedAt, no seed marker).
        var data = Directory.CreateTempSubdirectory("cg-test-").FullName;
        await using (var old = await GatewayHost.StartAsync(dataDirectory: data))
        {
            await using var db = old.CreateDbContext();
            await db.Agents.ExecuteUpdateAsync(a => a.SetProperty(x => x.FromConfiguration, false).SetProperty(x => x.PasswordChangedAt, (DateTimeOffset?)null));
            await db.GatewayKeys.Where(k => k.Name.StartsWith("seed:")).ExecuteDeleteAsync();
        }

        await using var host = GatewayHost.Create(GatewayHost.DefaultBackend, null, null, dataDirectory: data, demoAgents: false, environment: "Production");
        await host.StartServerAsync();
        using var http = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, "alice", GatewayHost.DemoPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, "bob", GatewayHost.DemoPassword)).StatusCode);
    }

    [Fact]
    public async Task Production_ShippedSettingsWithoutAgents_SaysHowToCreateOne_AndCreateAgentMakesIt()
    {
        var data = Directory.CreateTempSubdirectory("cg-prod-").FullName;
        File.WriteAllText(Path.Combine(data, "plugins.json"), GatewayHost.DefaultPluginsJson());

        // First start: the shipped appsettings.json has no agents, so nobody can sign in yet; the log says what to do.
        await using (var gateway = await ProductionProcess.StartAsync(data))
        {
            await gateway.WaitForOutputAsync("create-agent --user NAME --role supervisor");
            using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
            Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, "alice", GatewayHost.DemoPassword)).StatusCode);
        }

        // Bad uses of the command change nothing.
        var onArgv = await ProductionProcess.RunAsync(data, "", "create-agent", "--user", "root", "--password", "on-the-command-line");
        Assert.Equal(2, onArgv.ExitCode);
        Assert.Contains("unknown option --password", onArgv.Output);
        var shortPassword = await ProductionProcess.RunAsync(data, "short\n", "create-agent", "--user", "root");
        Assert.Equal(2, shortPassword.ExitCode);
        Assert.Contains("at least 12 characters", shortPassword.Output);
        var badSkill = await ProductionProcess.RunAsync(data, "a-good-long-password\n", "create-agent", "--user", "root", "--skills", "astrology");
        Assert.Equal(2, badSkill.ExitCode);
        Assert.Contains("'astrology' is not in Routing:Skills", badSkill.Output);

        var created = await ProductionProcess.RunAsync(data, "the-first-supervisor-pw\n", "create-agent", "--user", "root", "--role", "supervisor", "--skills", "pre-sale,vip", "--name", "The Boss");
        Assert.True(created.ExitCode == 0, created.Output);
        Assert.DoesNotContain("the-first-supervisor-pw", created.Output);
        var again = await ProductionProcess.RunAsync(data, "the-first-supervisor-pw\n", "create-agent", "--user", "root");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("exists already", again.Output);

        await using (var gateway = await ProductionProcess.StartAsync(data))
        {
            using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
            var login = await SecurityClient.LoginAsync(http, "root", "the-first-supervisor-pw");
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            var me = (await login.Content.ReadFromJsonAsync<AgentDto>())!;
            Assert.Equal(("The Boss", "supervisor"), (me.DisplayName, me.Role));
            Assert.Equal(["pre-sale", "vip"], me.Skills);
            Assert.DoesNotContain("nobody can sign in", gateway.Output);
        }
    }

    [Fact]
    public async Task Development_TheQuickStart_StillHasTheDemoAgents()
    {
        var data = Directory.CreateTempSubdirectory("cg-dev-").FullName;
        File.WriteAllText(Path.Combine(data, "plugins.json"), GatewayHost.DefaultPluginsJson());
        await using var gateway = await ProductionProcess.StartAsync(data, "Development");
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        var login = await SecurityClient.LoginAsync(http, "alice", GatewayHost.DemoPassword);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal("supervisor", (await login.Content.ReadFromJsonAsync<AgentDto>())!.Role);
    }

    /// <summary>The built gateway dll run as an operator would: its own appsettings, no test seeding, embedded Garnet.</summary>
    private sealed partial class ProductionProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output;

        private ProductionProcess(Process process, ConcurrentQueue<string> output, Uri baseAddress)
        {
            _process = process;
            _output = output;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        public string Output => string.Join(Environment.NewLine, _output);

        private static ProcessStartInfo StartInfo(string data, string environment, IEnumerable<string> args)
        {
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = data, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ChatGateway.Gateway.dll"));
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
            start.Environment["ConnectionStrings__Gateway"] = $"Data Source={Path.Combine(data, "gateway.db")}";
            start.Environment["ConnectionStrings__Redis"] = "";
            start.Environment["Plugins__ConfigPath"] = Path.Combine(data, "plugins.json");
            start.Environment["Channels__sms-main__AuthToken"] = GatewayHost.SmsAuthToken;
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Warning";
            return start;
        }

        public static async Task<(int ExitCode, string Output)> RunAsync(string data, string stdin, params string[] args)
        {
            using var process = Process.Start(StartInfo(data, "Production", args))!;
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            return (process.ExitCode, await output + await error);
        }

        public static async Task<ProductionProcess> StartAsync(string data, string environment = "Production")
        {
            var process = Process.Start(StartInfo(data, environment, ["--urls", "http://127.0.0.1:0"]))!;
            var output = new ConcurrentQueue<string>();
            var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                output.Enqueue(e.Data);
                if (RunningLine().Match(e.Data) is { Success: true } match)
                {
                    ready.TrySetResult(new Uri(match.Groups[1].Value));
                }
            };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the gateway exited: " + string.Join(Environment.NewLine, output)));
            return new ProductionProcess(process, output, await ready.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        public async Task WaitForOutputAsync(string text)
        {
            var until = DateTime.UtcNow.AddSeconds(20);
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < until, $"'{text}' never appeared in:{Environment.NewLine}{Output}");
                await Task.Delay(100);
            }
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
            return ValueTask.CompletedTask;
        }

        [GeneratedRegex(@"ChatGateway is running\. Demo shop: (http://[^/\s]+)/")]
        private static partial Regex RunningLine();
    }
}
