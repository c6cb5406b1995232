using System.Text.Json;
using System.Text.RegularExpressions;

namespace ChatGateway.Gateway.Plugins;

/// <summary>One entry of <c>plugins.json</c>.</summary>
/// <param name="Where">How errors name the entry: <c>plugins.json plugins.sms-main</c> (keyed form) or <c>plugins.json plugins[1] (id 'sms-main')</c> (array form).</param>
internal sealed record PluginEntry(string Where, string Id, string Plugin, bool Enabled, JsonElement? Settings)
{
    public string Describe() => Where;
}

/// <summary>
/// Reads <c>plugins.json</c> and reports every problem at once, naming the entry and the key. <c>plugins</c> is an object
/// keyed by instance id (as YARP keys its routes and clusters), or, as older files have it, an array of entries that
/// each carry an <c>id</c>.
/// </summary>
internal static partial class PluginManifest
{
    public static IReadOnlyList<PluginEntry> Read(string path, List<string> errors)
    {
        if (!File.Exists(path))
        {
            errors.Add($"plugins.json not found at '{Path.GetFullPath(path)}'. Set Plugins:ConfigPath or create the file.");
            return [];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            errors.Add($"plugins.json is not valid JSON: {ex.Message}");
            return [];
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("plugins", out var list)
                || list.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                errors.Add("plugins.json must be an object with a 'plugins' object, keyed by instance id (or a 'plugins' array of entries with an 'id').");
                return [];
            }

            var entries = new List<PluginEntry>();
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (list.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in list.EnumerateObject())
                {
                    var id = property.Name;
                    var where = $"plugins.json plugins.{id}";
                    if (!IdPattern().IsMatch(id))
                    {
                        errors.Add($"{where}: the id '{id}' must be 1-64 lower-case letters, digits or '-' (it is used in URLs).");
                    }
                    else if (!seen.Add(id))
                    {
                        // JSON allows a repeated name; the second would silently replace the first.
                        errors.Add($"{where}: the id '{id}' is used by another entry; ids must be unique.");
                    }

                    if (property.Value.ValueKind != JsonValueKind.Object)
                    {
                        errors.Add($"{where} must be an object.");
                        continue;
                    }

                    if (property.Value.TryGetProperty("id", out var inner) && (inner.ValueKind != JsonValueKind.String || inner.GetString() != id))
                    {
                        errors.Add($"{where}.id must be '{id}' or left out: the key is the entry's id.");
                    }

                    entries.Add(ReadEntry(property.Value, where, id, errors));
                }

                return entries;
            }

            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var where = $"plugins.json plugins[{index}]";
                index++;
                if (item.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{where} must be an object.");
                    continue;
                }

                var id = GetString(item, "id");
                if (string.IsNullOrWhiteSpace(id))
                {
                    errors.Add($"{where}.id is required.");
                }
                else if (!IdPattern().IsMatch(id))
                {
                    errors.Add($"{where}.id '{id}' must be 1-64 lower-case letters, digits or '-' (it is used in URLs).");
                }
                else if (!seen.Add(id))
                {
                    errors.Add($"{where}.id '{id}' is used by another entry; ids must be unique.");
                }

                entries.Add(ReadEntry(item, where, id ?? "", errors) with { Where = $"{where} (id '{id}')" });
            }

            return entries;
        }
    }

    /// <summary>The plugin, enabled flag and settings of one entry; <paramref name="where"/> names it in errors.</summary>
    private static PluginEntry ReadEntry(JsonElement item, string where, string id, List<string> errors)
    {
        var plugin = GetString(item, "plugin");
        var enabled = !item.TryGetProperty("enabled", out var e) || e.ValueKind != JsonValueKind.False;
        if (item.TryGetProperty("enabled", out e) && e.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors.Add($"{where}.enabled must be true or false.");
        }

        if (string.IsNullOrWhiteSpace(plugin))
        {
            errors.Add($"{where}.plugin is required (the folder name under plugins/, e.g. 'Sms').");
        }
        else if (!IsPlainFolderName(plugin))
        {
            errors.Add($"{where}.plugin '{plugin}' is not a plain folder name under the plugins folder (letters, digits, '_', '-', '.'; no path separators, no '..', not absolute); nothing was loaded.");
        }

        JsonElement? settings = null;
        if (item.TryGetProperty("settings", out var s))
        {
            if (s.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{where}.settings must be an object.");
            }
            else
            {
                settings = s.Clone();
                foreach (var key in s.EnumerateObject().Select(p => p.Name).Where(IsSecretName))
                {
                    errors.Add($"{where}.settings.{key} looks like a secret and must not be written in plugins.json; set it as configuration Channels:{id}:{key} (e.g. environment variable Channels__{id}__{key}).");
                }
            }
        }

        return new PluginEntry(where, id, plugin ?? "", enabled, settings);
    }

    private static bool IsSecretName(string key) =>
        SecretSuffixes.Any(suffix => key.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));

    private static readonly string[] SecretSuffixes = ["token", "secret", "password", "apikey", "privatekey"];

    private static string? GetString(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex IdPattern();

    /// <summary>A folder directly under the plugins folder: never a path that leaves it.</summary>
    internal static bool IsPlainFolderName(string name) =>
        PluginNamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal) && Path.GetFileName(name) == name && !Path.IsPathRooted(name);

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex PluginNamePattern();
}
