using System.Text.Json;

using ChatGateway.Abstractions;

using Microsoft.Extensions.DependencyInjection;

using Xunit;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// What the gateway relies on when it loads a plugin: every registration, factories included, can be constructed; the
/// plugin's folder carries no copy of the contract assembly.
/// </summary>
public abstract partial class ChannelPluginConformanceTests
{
    private static readonly string ContractAssembly = typeof(IChannelPlugin).Assembly.GetName().Name!;

    /// <summary>
    /// The folder the plugin's build writes (its <c>bin/&lt;Configuration&gt;/&lt;tfm&gt;/</c>), which the gateway's
    /// <c>plugins.json</c> points at. Null (the default): found from the repository, see <see cref="FindPluginOutputFolder"/>.
    /// </summary>
    protected virtual string? PluginOutputFolder => null;

    [Fact]
    public async Task ConfigureServices_ValidSettings_EveryRegistrationIncludingFactoriesConstructs()
    {
        // ValidateOnBuild (the fact above) checks constructors only; a factory that throws passes it and fails in a request.
        await using var container = Build(ValidSettings);

        var failures = await ConstructEveryRegistrationAsync(container);

        Assert.True(failures.Count == 0,
            $"Registrations that cannot be constructed with the valid settings:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    [Fact]
    public void PluginOutput_Always_HoldsNoCopyOfTheContractAssembly()
    {
        var assembly = Plugin.GetType().Assembly;
        string? reason = null;
        var folder = PluginOutputFolder ?? FindPluginOutputFolder(assembly.GetName().Name!, AppContext.BaseDirectory, out reason);
        Assert.SkipWhen(folder is null, reason ?? "");

        AssertNoContractAssembly(folder!, assembly.GetName().Name!);
    }

    /// <summary>
    /// Resolves every registered service (every registration of each type, keyed ones by their key, in a scope so that
    /// scoped ones resolve too; open generics and any-key registrations are left out: they have no one type to build) and
    /// returns a line naming each type that failed.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ConstructEveryRegistrationAsync(ChannelInstanceContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        var failures = new List<string>();
        await using var scope = container.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var registered = container.Registrations
            .Where(d => !d.ServiceType.ContainsGenericParameters && !Equals(d.ServiceKey, KeyedService.AnyKey))
            .Select(d => (d.ServiceType, d.IsKeyedService, d.ServiceKey))
            .Distinct();
        foreach (var (type, keyed, key) in registered)
        {
            try
            {
                _ = keyed ? services.GetKeyedServices(type, key).ToList() : services.GetServices(type).ToList();
            }
            catch (Exception ex)
            {
                failures.Add($"{type.FullName}{(keyed ? $" (key {key})" : "")}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        return failures;
    }

    /// <summary>
    /// The plugin's own build output, found from the repository: a plugin's test project references the plugin's project,
    /// so the test runs from <c>&lt;test project&gt;/bin/&lt;Configuration&gt;/&lt;tfm&gt;/</c> inside the repository that
    /// holds the plugin's <c>&lt;AssemblyName&gt;.csproj</c>, whose build writes <c>bin/&lt;Configuration&gt;/&lt;tfm&gt;/</c>
    /// beside it. (The copy of the plugin in the test's own folder does not tell: that folder holds the contract assembly
    /// for the tests.) Null, with the reason, when the layout is another (a custom OutputPath, a plugin from a package):
    /// then override <see cref="PluginOutputFolder"/>.
    /// </summary>
    public static string? FindPluginOutputFolder(string pluginAssemblyName, string baseDirectory, out string reason)
    {
        ArgumentNullException.ThrowIfNull(pluginAssemblyName);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        var name = pluginAssemblyName;
        var testOutput = new DirectoryInfo(Path.TrimEndingDirectorySeparator(baseDirectory));
        var targetFramework = testOutput.Name;
        var configuration = testOutput.Parent?.Name;
        if (configuration is null || testOutput.Parent?.Parent?.Name != "bin")
        {
            reason = $"The tests do not run from bin/<Configuration>/<tfm>/ ({baseDirectory}); override PluginOutputFolder.";
            return null;
        }

        var root = testOutput.Parent.Parent.Parent;
        while (root is not null && !IsRepositoryRoot(root))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            reason = $"No repository (.git or a solution file) above {baseDirectory}; override PluginOutputFolder.";
            return null;
        }

        var projects = FindFiles(root, name + ".csproj").ToList();
        if (projects.Count != 1)
        {
            reason = $"{projects.Count} projects named {name}.csproj in {root.FullName}; override PluginOutputFolder.";
            return null;
        }

        var folder = Path.Combine(Path.GetDirectoryName(projects[0])!, "bin", configuration, targetFramework);
        if (!File.Exists(Path.Combine(folder, name + ".dll")))
        {
            reason = $"{name}.dll is not in {folder} (another OutputPath?); override PluginOutputFolder.";
            return null;
        }

        reason = "";
        return folder;

        static bool IsRepositoryRoot(DirectoryInfo directory) =>
            Directory.Exists(Path.Combine(directory.FullName, ".git"))
            || File.Exists(Path.Combine(directory.FullName, ".git"))
            || directory.EnumerateFiles("*.slnx").Any()
            || directory.EnumerateFiles("*.sln").Any();
    }

    /// <summary>
    /// Fails when the folder holds the contract assembly, or the plugin's deps.json there lists it as a runtime asset: the
    /// gateway shares its own copy with every plugin, and a plugin that loads a second one sees IChannelPlugin as another type.
    /// </summary>
    public static void AssertNoContractAssembly(string folder, string pluginAssemblyName)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(pluginAssemblyName);
        const string fix = "reference it with Private=\"false\" ExcludeAssets=\"runtime\"";
        Assert.False(File.Exists(Path.Combine(folder, ContractAssembly + ".dll")),
            $"The plugin's folder {folder} holds {ContractAssembly}.dll: the gateway gives every plugin its own copy; {fix}.");

        var depsFile = Path.Combine(folder, pluginAssemblyName + ".deps.json");
        if (!File.Exists(depsFile))
        {
            return;
        }

        using var deps = JsonDocument.Parse(File.ReadAllBytes(depsFile));
        if (!deps.RootElement.TryGetProperty("targets", out var targets))
        {
            return;
        }

        foreach (var target in targets.EnumerateObject())
        {
            foreach (var library in target.Value.EnumerateObject())
            {
                var isContract = library.Name.StartsWith(ContractAssembly + "/", StringComparison.OrdinalIgnoreCase);
                var hasRuntime = library.Value.TryGetProperty("runtime", out var runtime)
                    && runtime.ValueKind == JsonValueKind.Object
                    && runtime.EnumerateObject().Any();
                Assert.False(isContract && hasRuntime,
                    $"{depsFile} lists {ContractAssembly} as a runtime asset of the plugin, so the plugin's load context would look for its own copy; {fix}.");
            }
        }
    }

    private static IEnumerable<string> FindFiles(DirectoryInfo directory, string fileName)
    {
        string[] skipped = ["bin", "obj", "node_modules", ".git", ".vs", ".idea", "artifacts"];
        foreach (var file in directory.EnumerateFiles(fileName))
        {
            yield return file.FullName;
        }

        foreach (var child in directory.EnumerateDirectories())
        {
            if (skipped.Contains(child.Name, StringComparer.OrdinalIgnoreCase) || child.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                continue;
            }

            foreach (var file in FindFiles(child, fileName))
            {
                yield return file;
            }
        }
    }
}
