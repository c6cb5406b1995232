namespace ChatGateway.Gateway.Redis;

internal sealed class RedisOptions
{
    /// <summary><c>ConnectionStrings:Redis</c>; empty runs Microsoft Garnet in-process.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Prefix of every key and channel, so several gateways (or tests) can share one server.</summary>
    public string KeyPrefix { get; set; } = "cg:";

    /// <summary>Port of the embedded Garnet server; 0 picks a free loopback port.</summary>
    public int EmbeddedPort { get; set; }

    /// <summary>Memory of the embedded Garnet log (allocated up front); routing state is small.</summary>
    public string EmbeddedMemory { get; set; } = "64m";
}

/// <summary>Reports every bad <c>Redis</c> setting at once, naming its key, before anything connects.</summary>
internal sealed partial class RedisOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<RedisOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            try
            {
                StackExchange.Redis.ConfigurationOptions.Parse(options.ConnectionString);
            }
            catch (ArgumentException ex)
            {
                // The parser names the part it refused; the string itself may hold a password.
                errors.Add($"ConnectionStrings:Redis is not a Redis connection string (host:port,option=value…): {ex.Message.Split('\n')[0]}");
            }
        }

        if (string.IsNullOrWhiteSpace(options.KeyPrefix) || options.KeyPrefix.Length > 64 || options.KeyPrefix.Any(char.IsWhiteSpace))
        {
            errors.Add("Redis:KeyPrefix must be 1 to 64 characters without spaces (e.g. cg:), so gateways sharing a server keep apart.");
        }

        if (options.EmbeddedPort is < 0 or > 65535)
        {
            errors.Add($"Redis:EmbeddedPort must be a TCP port (0 picks a free one), not {options.EmbeddedPort}.");
        }

        if (!MemorySize().IsMatch(options.EmbeddedMemory ?? ""))
        {
            errors.Add($"Redis:EmbeddedMemory must be a size such as 64m or 1g, not '{options.EmbeddedMemory}'.");
        }

        return errors.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[1-9][0-9]{0,5}[kmgKMG]$")]
    private static partial System.Text.RegularExpressions.Regex MemorySize();
}
