using System.Reflection;
using System.Text.Json;
using ChatGateway.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Plugins;

/// <summary>Thrown when plugins.json or a plugin cannot be loaded; lists every problem found.</summary>
internal sealed class PluginLoadException(IReadOnlyList<string> errors)
    : Exception("Channel plugins could not be loaded:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads plugins.json and loads the plugins it names, each from plugins/&lt;Name&gt;/ in its own load context, once per
/// plugin however many instances use it.
/// </summary>
internal sealed class PluginLoader(IOptions<PluginsOptions> options)
{
    private readonly Dictionary<string, IChannelPlugin> _pluginsByName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The folder of plugin folders (Plugins:Directory), relative ones under the gateway's binaries.</summary>
    public string PluginRoot
    {
        get
        {
            var directory = options.Value.Directory;
            return Path.IsPathRooted(directory) ? directory : Path.Combine(AppContext.BaseDirectory, directory);
        }
    }

    /// <summary>The entries of plugins.json. Throws <see cref="PluginLoadException"/> listing every mistake in it.</summary>
    public IReadOnlyList<PluginEntry> ReadManifest()
    {
        var errors = new List<string>();
        var entries = PluginManifest.Read(options.Value.ConfigPath, errors);
        if (errors.Count > 0)
        {
            // A manifest with any mistake (a plugin name that leaves the plugins folder above all) loads nothing.
            throw new PluginLoadException(errors);
        }

        return entries;
    }

    /// <summary>The plugin the entry names, or null with the reason added to <paramref name="errors"/>.</summary>
    public IChannelPlugin? Load(PluginEntry entry, List<string> errors)
    {
        if (_pluginsByName.TryGetValue(entry.Plugin, out var cached))
        {
            return cached;
        }

        var folder = Path.Combine(PluginRoot, entry.Plugin);
        if (!Directory.Exists(folder))
        {
            errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' is unknown: no folder '{folder}'. Check the 'plugin' name or deploy the plugin there.");
            return null;
        }

        var manifests = Directory.GetFiles(folder, "*.deps.json");
        if (manifests.Length != 1)
        {
            errors.Add($"{entry.Describe()}: plugin folder '{folder}' must hold exactly one built plugin (<Assembly>.dll with <Assembly>.deps.json); found {manifests.Length} .deps.json files.");
            return null;
        }

        var mainPath = manifests[0][..^".deps.json".Length] + ".dll";
        if (!IsDependencyManifest(manifests[0], out var problem))
        {
            // The runtime's native resolver aborts the process on a malformed manifest: check it first.
            errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' has a malformed '{Path.GetFileName(manifests[0])}': {problem}. Rebuild the plugin.");
            return null;
        }

        if (!File.Exists(mainPath))
        {
            errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' has no '{Path.GetFileName(mainPath)}' beside its .deps.json.");
            return null;
        }

        try
        {
            var context = new PluginLoadContext(mainPath);
            var assembly = context.LoadFromAssemblyPath(mainPath);
            var types = assembly.GetExportedTypes()
                .Where(t => typeof(IChannelPlugin).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                .ToList();
            if (types.Count != 1)
            {
                errors.Add($"{entry.Describe()}: '{Path.GetFileName(mainPath)}' must export exactly one public IChannelPlugin implementation; found {types.Count}.");
                return null;
            }

            var plugin = (IChannelPlugin)Activator.CreateInstance(types[0])!;
            _pluginsByName[entry.Plugin] = plugin;
            return plugin;
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or FileNotFoundException or ReflectionTypeLoadException or TypeLoadException or TargetInvocationException or MissingMethodException)
        {
            errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' could not be loaded from '{mainPath}': {(ex.InnerException ?? ex).Message}");
            return null;
        }
    }

    private static bool IsDependencyManifest(string path, out string problem)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("runtimeTarget", out var target) && target.ValueKind == JsonValueKind.Object
                && target.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                && root.TryGetProperty("targets", out var targets) && targets.ValueKind == JsonValueKind.Object
                && targets.TryGetProperty(name.GetString()!, out _)
                && root.TryGetProperty("libraries", out var libraries) && libraries.ValueKind == JsonValueKind.Object)
            {
                problem = "";
                return true;
            }

            problem = "it lacks runtimeTarget, targets or libraries";
            return false;
        }
        catch (JsonException ex)
        {
            problem = "not valid JSON: " + ex.Message;
            return false;
        }
    }
}
