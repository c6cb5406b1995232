namespace ChatGateway.Gateway.Plugins;

internal sealed class PluginsOptions
{
    /// <summary>Path of <c>plugins.json</c>, relative to the working directory.</summary>
    public string ConfigPath { get; set; } = "plugins.json";

    /// <summary>Folder holding <c>&lt;Name&gt;/</c> plugin folders; relative paths start at the gateway's own folder.</summary>
    public string Directory { get; set; } = "plugins";
}
