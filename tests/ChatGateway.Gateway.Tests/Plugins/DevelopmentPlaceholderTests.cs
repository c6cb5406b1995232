using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Tests.Infrastructure;

namespace ChatGateway.Gateway.Tests.Plugins;

/// <summary>
/// A plugin's <c>settings.Development.json</c> (placeholders for its secrets, in its folder) lies under each of its
/// instances in Development only, below the plugins.json entry and <c>Channels:{id}</c>; anywhere else it is never read.
/// The plugin is the probe test plugin, copied with such a file into a plugins folder of the test's own.
/// </summary>
public sealed class DevelopmentPlaceholderTests
{
    private const string Placeholder = "dev-only-placeholder-greeting";

    private const string PluginsJson = """
        { "plugins": {
          "plain": { "plugin": "WithPlaceholders" },
          "own": { "plugin": "WithPlaceholders" },
          "entry": { "plugin": "WithPlaceholders", "settings": { "Greeting": "from plugins.json" } }
        } }
        """;

    [Fact]
    public async Task Development_InstanceWithoutTheSetting_GetsThePlaceholder_AndItsOwnValuesWin()
    {
        await using var host = GatewayHost.Create(GatewayHost.DefaultBackend, PluginsJson, Settings(), environment: "Development");
        await host.StartServerAsync();
        using var http = host.CreateClient();

        Assert.Equal(Placeholder, await GreetingAsync(http, "plain"));
        Assert.Equal("from the environment", await GreetingAsync(http, "own"));
        Assert.Equal("from plugins.json", await GreetingAsync(http, "entry"));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Testing")]
    public void OutsideDevelopment_ThePlaceholderIsNeverRead_AndStartUpNamesTheMissingKey(string environment)
    {
        var host = GatewayHost.Create(GatewayHost.DefaultBackend, PluginsJson, Settings(), demoAgents: false, environment: environment);

        var failure = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());

        var message = failure.ToString();
        Assert.Contains("plugins.json plugins.plain settings: Greeting is required.", message);
        Assert.DoesNotContain("plugins.own", message);
        Assert.DoesNotContain("plugins.entry", message);
        Assert.DoesNotContain(ChannelInstanceFactory.DevelopmentSettingsFile, message);
    }

    [Fact]
    public void Development_PluginWithoutPlaceholders_StartUpSaysWhereTheDemosPlaceholderGoes()
    {
        var host = GatewayHost.Create(
            GatewayHost.DefaultBackend, """{ "plugins": { "bare": { "plugin": "VersionProbeA" } } }""", settings: null, environment: "Development");

        var failure = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());

        Assert.Contains("plugins.json plugins.bare settings: Greeting is required.", failure.ToString());
        Assert.Contains($"for the demo, a placeholder in the plugin's {ChannelInstanceFactory.DevelopmentSettingsFile}", failure.ToString());
    }

    [Fact]
    public void Development_UnreadablePlaceholderFile_FailsNamingIt()
    {
        var host = GatewayHost.Create(GatewayHost.DefaultBackend, PluginsJson, Settings("{ \"Greeting\": "), environment: "Development");

        var failure = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());

        Assert.Contains($"plugins.json plugins.plain: plugin 'WithPlaceholders' has an unreadable '{ChannelInstanceFactory.DevelopmentSettingsFile}'", failure.ToString());
    }

    private static Dictionary<string, string?> Settings(string placeholders = $$"""{ "Greeting": "{{Placeholder}}" }""")
    {
        var plugins = Directory.CreateTempSubdirectory("cg-plugins-").FullName;
        var folder = Directory.CreateDirectory(Path.Combine(plugins, "WithPlaceholders")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "plugins", "VersionProbeA")))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(folder, ChannelInstanceFactory.DevelopmentSettingsFile), placeholders);
        return new Dictionary<string, string?>
        {
            ["Plugins:Directory"] = plugins,
            ["Channels:own:Greeting"] = "from the environment",
        };
    }

    private static async Task<string?> GreetingAsync(HttpClient http, string instanceId) =>
        (await http.GetFromJsonAsync<JsonElement>($"/channels/{instanceId}/version")).GetProperty("greeting").GetString();
}
