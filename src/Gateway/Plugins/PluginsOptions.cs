namespace ChatGateway.Gateway.Plugins;

internal sealed class PluginsOptions
{
    /// <summary>Path of <c>plugins.json</c>, relative to the working directory.</summary>
    public string ConfigPath { get; set; } = "plugins.json";

    /// <summary>Folder holding <c>&lt;Name&gt;/</c> plugin folders; relative paths start at the gateway's own folder.</summary>
    public string Directory { get; set; } = "plugins";
}

/// <summary>Reports every bad <c>Plugins</c> setting at once, naming its key.</summary>
internal sealed class PluginsOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<PluginsOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, PluginsOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConfigPath) || options.ConfigPath.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add("Plugins:ConfigPath must be the path of plugins.json.");
        }

        if (string.IsNullOrWhiteSpace(options.Directory) || options.Directory.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add("Plugins:Directory must be the folder holding the plugins' folders (default plugins).");
        }

        return errors.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors);
    }
}
