using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;

namespace ChatGateway.Gateway.Tests.Plugins;

/// <summary>
/// Plugins are real projects built into plugins/&lt;Name&gt;/ of the test output and loaded the way the
/// gateway loads them in production. Bad inputs tried: unknown plugin, missing setting, broken plugin,
/// corrupt assembly, malformed plugins.json (keyed by id and as an array), duplicate and invalid ids, an entry's id
/// that is not its key.
/// </summary>
public sealed class PluginLoadingTests
{
    [Fact]
    public async Task Load_TwoPluginsWithDifferentPrivateNewtonsoftVersions_EachUsesItsOwn()
    {
        await using var host = await GatewayHost.StartAsync(pluginsJson: """
            { "plugins": [
              { "id": "probe-a", "plugin": "VersionProbeA", "settings": { "Greeting": "a" } },
              { "id": "probe-b", "plugin": "VersionProbeB", "settings": { "Greeting": "b" } }
            ] }
            """);
        using var http = host.CreateClient();

        var a = await http.GetFromJsonAsync<JsonElement>("/channels/probe-a/version");
        var b = await http.GetFromJsonAsync<JsonElement>("/channels/probe-b/version");

        Assert.Equal("13.0.0.0", a.GetProperty("newtonsoft").GetString()); // 13.0.4's assembly version
        Assert.True(a.GetProperty("sharedAbstractions").GetBoolean());
        Assert.True(b.GetProperty("sharedAbstractions").GetBoolean());
        var outboxA = await http.GetStringAsync("/channels/probe-a/outbox");
        Assert.Equal("[]", outboxA);
        // Different files of Newtonsoft.Json were loaded: each load context resolved its own folder's copy.
        var locations = AppDomain.CurrentDomain.GetAssemblies()
            .Where(x => x.GetName().Name == "Newtonsoft.Json")
            .Select(x => x.Location)
            .ToList();
        Assert.Contains(locations, l => l.Contains($"{Path.DirectorySeparatorChar}VersionProbeA{Path.DirectorySeparatorChar}"));
        Assert.Contains(locations, l => l.Contains($"{Path.DirectorySeparatorChar}VersionProbeB{Path.DirectorySeparatorChar}"));
        var versions = AppDomain.CurrentDomain.GetAssemblies()
            .Where(x => x.GetName().Name == "Newtonsoft.Json")
            .Select(x => System.Diagnostics.FileVersionInfo.GetVersionInfo(x.Location).FileVersion)
            .Distinct()
            .Count();
        Assert.True(versions >= 2, "two different Newtonsoft.Json file versions should be loaded side by side");
    }

    [Fact]
    public async Task Load_TwoInstancesOfOnePlugin_RunSideBySideWithTheirOwnSettings()
    {
        await using var host = await GatewayHost.StartAsync(pluginsJson: """
            { "plugins": [
              { "id": "shop-1", "plugin": "VersionProbeA", "settings": { "Greeting": "first shop" } },
              { "id": "shop-2", "plugin": "VersionProbeA", "settings": { "Greeting": "second shop" } },
              { "id": "off", "plugin": "DoesNotExist", "enabled": false }
            ] }
            """);
        using var http = host.CreateClient();

        var one = await http.GetFromJsonAsync<JsonElement>("/channels/shop-1/version");
        var two = await http.GetFromJsonAsync<JsonElement>("/channels/shop-2/version");
        Assert.Equal("first shop", one.GetProperty("greeting").GetString());
        Assert.Equal("second shop", two.GetProperty("greeting").GetString());
        Assert.Equal("shop-2", two.GetProperty("instance").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/channels/off/version")).StatusCode);

        await using var agent = await host.SignInAsync("alice", online: false);
        var plugins = await agent.Http.GetFromJsonAsync<List<PluginDto>>("/api/plugins");
        Assert.Equal(["shop-1:running", "shop-2:running", "off:disabled"], plugins!.Select(p => $"{p.Id}:{p.State}"));
    }

    [Fact]
    public async Task Load_EntriesKeyedById_RunInTheFileOrderWithTheirOwnSettings()
    {
        await using var host = await GatewayHost.StartAsync(pluginsJson: """
            { "plugins": {
              "shop-2": { "plugin": "VersionProbeA", "settings": { "Greeting": "second shop" } },
              "shop-1": { "id": "shop-1", "plugin": "VersionProbeA", "enabled": true, "settings": { "Greeting": "first shop" } },
              "off": { "plugin": "DoesNotExist", "enabled": false }
            } }
            """);
        using var http = host.CreateClient();

        var one = await http.GetFromJsonAsync<JsonElement>("/channels/shop-1/version");
        var two = await http.GetFromJsonAsync<JsonElement>("/channels/shop-2/version");
        Assert.Equal("first shop", one.GetProperty("greeting").GetString());
        Assert.Equal(("shop-2", "second shop"), (two.GetProperty("instance").GetString(), two.GetProperty("greeting").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/channels/off/version")).StatusCode);

        await using var agent = await host.SignInAsync("alice", online: false);
        var plugins = await agent.Http.GetFromJsonAsync<List<PluginDto>>("/api/plugins");
        Assert.Equal(["shop-2:running", "shop-1:running", "off:disabled"], plugins!.Select(p => $"{p.Id}:{p.State}"));
    }

    [Fact]
    public void Read_TheRepositorysPluginsJson_KeepsItsInstancesInOrder()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "ChatGateway.slnx")))
        {
            root = root.Parent ?? throw new InvalidOperationException("ChatGateway.slnx not found above the test output.");
        }

        var errors = new List<string>();
        var entries = PluginManifest.Read(Path.Combine(root.FullName, "plugins.json"), errors);

        Assert.Empty(errors);
        Assert.Equal(
            ["webchat:WebChat:True", "sms-main:Sms:True", "orders:ShopOrders:True", "email:Email:False", "sms-outlet:Sms:False", "line:Line:True",
             "wechat:WeChat:False", "telegram:Telegram:False", "whatsapp:WhatsApp:False"],
            entries.Select(e => $"{e.Id}:{e.Plugin}:{e.Enabled}"));
        Assert.Equal("+15005550006", entries[1].Settings!.Value.GetProperty("FromNumber").GetString());
    }

    [Fact]
    public void Start_EntriesKeyedById_ErrorsNameTheEntryByItsKey()
    {
        var error = StartAndCatch("""
            { "plugins": {
              "ok": { "plugin": "VersionProbeA", "settings": { "Greeting": "fine" } },
              "typo": { "plugin": "Smss" },
              "no-greeting": { "plugin": "VersionProbeB", "settings": { } }
            } }
            """);

        Assert.Contains("plugins.json plugins.typo: plugin 'Smss' is unknown", error);
        Assert.Contains("plugins.json plugins.no-greeting settings: Greeting is required.", error);
        Assert.Contains("Channels__no-greeting__<Key>", error);
        Assert.DoesNotContain("plugins.ok", error);
    }

    [Theory]
    [InlineData("{ \"plugins\": { \"Web Chat!\": { \"plugin\": \"WebChat\" } } }", "plugins.json plugins.Web Chat!: the id 'Web Chat!' must be 1-64 lower-case letters")]
    [InlineData("{ \"plugins\": { \"w\": { \"plugin\": \"WebChat\" }, \"w\": { \"plugin\": \"WebChat\" } } }", "plugins.json plugins.w: the id 'w' is used by another entry")]
    [InlineData("{ \"plugins\": { \"w\": { } } }", "plugins.json plugins.w.plugin is required")]
    [InlineData("{ \"plugins\": { \"w\": [] } }", "plugins.json plugins.w must be an object.")]
    [InlineData("{ \"plugins\": { \"w\": { \"plugin\": \"WebChat\", \"enabled\": \"yes\" } } }", "plugins.json plugins.w.enabled must be true or false.")]
    [InlineData("{ \"plugins\": { \"w\": { \"id\": \"other\", \"plugin\": \"WebChat\" } } }", "plugins.json plugins.w.id must be 'w' or left out: the key is the entry's id.")]
    [InlineData("{ \"plugins\": { \"sms\": { \"plugin\": \"Sms\", \"settings\": { \"AuthToken\": \"abc\" } } } }", "plugins.json plugins.sms.settings.AuthToken looks like a secret and must not be written in plugins.json; set it as configuration Channels:sms:AuthToken")]
    [InlineData("{ \"plugins\": { \"w\": { \"plugin\": \"../WebChat\" } } }", "plugins.json plugins.w.plugin '../WebChat' is not a plain folder name")]
    public void Start_MalformedEntryKeyedById_FailsWithTheReason(string json, string expected)
    {
        Assert.Contains(expected, StartAndCatch(json));
    }

    [Fact]
    public async Task PluginsApi_WithoutSignIn_Returns401()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/plugins")).StatusCode);
    }

    [Fact]
    public void Start_UnknownPluginAndMissingSetting_FailsNamingEveryEntryAndKey()
    {
        var error = StartAndCatch("""
            { "plugins": [
              { "id": "ok", "plugin": "VersionProbeA", "settings": { "Greeting": "fine" } },
              { "id": "typo", "plugin": "Smss" },
              { "id": "no-greeting", "plugin": "VersionProbeB", "settings": { } }
            ] }
            """);

        Assert.Contains("plugins[1] (id 'typo'): plugin 'Smss' is unknown", error);
        Assert.Contains("plugins[2] (id 'no-greeting') settings: Greeting is required.", error);
        Assert.Contains("Channels__no-greeting__<Key>", error);
        Assert.DoesNotContain("'ok'", error);
    }

    [Fact]
    public void Start_PluginThatThrowsDuringSetUp_FailsNamingIt()
    {
        var error = StartAndCatch("""{ "plugins": [ { "id": "bad", "plugin": "Broken" } ] }""");
        Assert.Contains("plugins[0] (id 'bad'): plugin 'Broken' failed to configure: InvalidOperationException: the broken test plugin cannot start", error);
    }

    [Fact]
    public void Start_CorruptPluginAssembly_FailsNamingTheFile()
    {
        var plugins = Directory.CreateTempSubdirectory("cg-plugins-").FullName;
        var folder = Directory.CreateDirectory(Path.Combine(plugins, "Corrupt")).FullName;
        var real = Path.Combine(AppContext.BaseDirectory, "plugins", "Broken", "ChatGateway.TestPlugins.Broken.deps.json");
        File.Copy(real, Path.Combine(folder, "ChatGateway.TestPlugins.Broken.deps.json"));
        File.WriteAllText(Path.Combine(folder, "ChatGateway.TestPlugins.Broken.dll"), "this is not an assembly");

        var error = StartAndCatch("""{ "plugins": [ { "id": "corrupt", "plugin": "Corrupt" } ] }""", new Dictionary<string, string?> { ["Plugins:Directory"] = plugins });

        Assert.Contains("plugins[0] (id 'corrupt'): plugin 'Corrupt' could not be loaded from", error);
        Assert.Contains("ChatGateway.TestPlugins.Broken.dll", error);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("not json")]
    public void Start_MalformedPluginManifest_FailsWithReasonInsteadOfCrashing(string depsJson)
    {
        var plugins = Directory.CreateTempSubdirectory("cg-plugins-").FullName;
        var folder = Directory.CreateDirectory(Path.Combine(plugins, "Mangled")).FullName;
        File.WriteAllText(Path.Combine(folder, "Mangled.deps.json"), depsJson);
        File.WriteAllText(Path.Combine(folder, "Mangled.dll"), "x");

        var error = StartAndCatch("""{ "plugins": [ { "id": "mangled", "plugin": "Mangled" } ] }""", new Dictionary<string, string?> { ["Plugins:Directory"] = plugins });

        Assert.Contains("plugin 'Mangled' has a malformed 'Mangled.deps.json'", error);
    }

    [Theory]
    [InlineData("{ \"plugins\": [ { \"id\": \"x\", ", "plugins.json is not valid JSON")]
    [InlineData("[]", "plugins.json must be an object with a 'plugins' object, keyed by instance id")]
    [InlineData("{ \"plugins\": 3 }", "plugins.json must be an object with a 'plugins' object, keyed by instance id")]
    [InlineData("{ \"plugins\": [ { \"plugin\": \"WebChat\" } ] }", "plugins.json plugins[0].id is required.")]
    [InlineData("{ \"plugins\": [ { \"id\": \"Web Chat!\", \"plugin\": \"WebChat\" } ] }", "plugins[0].id 'Web Chat!' must be 1-64 lower-case letters")]
    [InlineData("{ \"plugins\": [ { \"id\": \"w\", \"plugin\": \"WebChat\" }, { \"id\": \"w\", \"plugin\": \"WebChat\" } ] }", "plugins[1].id 'w' is used by another entry")]
    [InlineData("{ \"plugins\": [ { \"id\": \"w\" } ] }", "plugins.json plugins[0].plugin is required")]
    [InlineData("{ \"plugins\": [ { \"id\": \"sms\", \"plugin\": \"Sms\", \"settings\": { \"AuthToken\": \"abc\" } } ] }", "plugins[0].settings.AuthToken looks like a secret and must not be written in plugins.json; set it as configuration Channels:sms:AuthToken")]
    public void Start_MalformedPluginsJson_FailsWithTheReason(string json, string expected)
    {
        Assert.Contains(expected, StartAndCatch(json));
    }

    [Theory]
    [InlineData("../outside/{0}")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/../../outside/{0}")]
    [InlineData("{1}")]
    [InlineData("..\\outside\\{0}")]
    [InlineData("outside/{0}")]
    public void Start_PluginNameThatIsNotAPlainFolderName_FailsBeforeAnyPluginIsLoaded(string name)
    {
        // A real, loadable plugin sits outside the plugins folder under a name no other test uses; the entry reaches
        // it by a path. A valid entry comes first: with any bad name in the file, not even that one may be loaded.
        var root = Directory.CreateTempSubdirectory("cg-plugins-").FullName;
        var plugins = Directory.CreateDirectory(Path.Combine(root, "plugins")).FullName;
        var unique = "Probe" + Guid.NewGuid().ToString("N");
        var outside = Path.Combine(root, "outside", unique);
        CopyFolder(Path.Combine(AppContext.BaseDirectory, "plugins", "VersionProbeA"), outside);
        var first = "First" + Guid.NewGuid().ToString("N");
        CopyFolder(Path.Combine(AppContext.BaseDirectory, "plugins", "VersionProbeA"), Path.Combine(plugins, first));
        var plugin = string.Format(System.Globalization.CultureInfo.InvariantCulture, name, unique, outside);

        var error = StartAndCatch(
            $$"""{ "plugins": [ { "id": "ok", "plugin": "{{first}}", "settings": { "Greeting": "x" } }, { "id": "escape", "plugin": {{JsonSerializer.Serialize(plugin)}}, "settings": { "Greeting": "x" } } ] }""",
            new Dictionary<string, string?> { ["Plugins:Directory"] = plugins });

        Assert.Contains("plugins[1].plugin", error);
        Assert.Contains("is not a plain folder name", error);
        Assert.DoesNotContain(System.Runtime.Loader.AssemblyLoadContext.All, c => c.Assemblies.Any(a => a.Location.Contains(unique, StringComparison.Ordinal) || a.Location.Contains(first, StringComparison.Ordinal)));
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static string StartAndCatch(string pluginsJson, IDictionary<string, string?>? settings = null)
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, pluginsJson, settings);
        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());
        var load = ex as PluginLoadException ?? ex.InnerException as PluginLoadException ?? (ex as AggregateException)?.InnerExceptions.OfType<PluginLoadException>().FirstOrDefault();
        Assert.NotNull(load);
        return load.Message;
    }
}
