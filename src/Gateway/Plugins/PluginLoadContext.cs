using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using ChatGateway.Abstractions;

namespace ChatGateway.Gateway.Plugins;

/// <summary>
/// Loads one plugin and its private dependencies. Shares with the gateway only the Abstractions
/// assembly and the shared framework (so IServiceCollection, HttpContext and the contract are the
/// same types on both sides); everything else, e.g. a plugin's own Newtonsoft.Json, stays private.
/// </summary>
internal sealed class PluginLoadContext(string mainAssemblyPath) : AssemblyLoadContext(Path.GetFileNameWithoutExtension(mainAssemblyPath), isCollectible: false)
{
    private static readonly string AbstractionsName = typeof(IChannelPlugin).Assembly.GetName().Name!;
    private static readonly Lazy<HashSet<string>> FrameworkAssemblies = new(ListFrameworkAssemblies);
    private readonly AssemblyDependencyResolver _resolver = new(mainAssemblyPath);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is null
            || assemblyName.Name == AbstractionsName
            || FrameworkAssemblies.Value.Contains(assemblyName.Name))
        {
            return null; // the default context's copy
        }

        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    private static HashSet<string> ListFrameworkAssemblies()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var dir in new[] { RuntimeEnvironment.GetRuntimeDirectory(), Path.GetDirectoryName(typeof(WebApplication).Assembly.Location) })
        {
            if (dir is null || !Directory.Exists(dir))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(dir, "*.dll"))
            {
                names.Add(Path.GetFileNameWithoutExtension(file));
            }
        }

        return names;
    }
}
