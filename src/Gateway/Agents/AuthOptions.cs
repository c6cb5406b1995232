using System.Net;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Agents;

/// <summary>Sign-in throttling, lockout, sessions and passwords (section <c>Auth</c>).</summary>
internal sealed class AuthOptions
{
    /// <summary>Consecutive failed sign-ins of one user name before it is locked.</summary>
    public int MaxFailures { get; set; } = 5;

    /// <summary>How long a locked user name stays locked.</summary>
    public TimeSpan LockoutTime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-in attempts per client address per minute (all user names together).</summary>
    public int SignInsPerAddressPerMinute { get; set; } = 20;

    /// <summary>Sign-in attempts per user name per minute on one instance (all addresses together).</summary>
    public int SignInsPerAccountPerMinute { get; set; } = 10;

    /// <summary>A desk session ends this long after its last use.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    public int MinPasswordLength { get; set; } = 12;
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions o)
    {
        var errors = new List<string>();
        if (o.MaxFailures is < 1 or > 100)
        {
            errors.Add($"Auth:MaxFailures must be 1-100, not {o.MaxFailures}.");
        }

        if (o.LockoutTime < TimeSpan.FromSeconds(1) || o.LockoutTime > TimeSpan.FromDays(1))
        {
            errors.Add($"Auth:LockoutTime must be between 00:00:01 and 1.00:00:00, not {o.LockoutTime}.");
        }

        if (o.SignInsPerAddressPerMinute is < 1 or > 10_000)
        {
            errors.Add($"Auth:SignInsPerAddressPerMinute must be 1-10000, not {o.SignInsPerAddressPerMinute}.");
        }

        if (o.SignInsPerAccountPerMinute is < 1 or > 10_000)
        {
            errors.Add($"Auth:SignInsPerAccountPerMinute must be 1-10000, not {o.SignInsPerAccountPerMinute}.");
        }

        if (o.SessionLifetime < TimeSpan.FromMinutes(1) || o.SessionLifetime > TimeSpan.FromDays(30))
        {
            errors.Add($"Auth:SessionLifetime must be between 00:01:00 and 30.00:00:00, not {o.SessionLifetime}.");
        }

        if (o.MinPasswordLength is < 8 or > 128)
        {
            errors.Add($"Auth:MinPasswordLength must be 8-128, not {o.MinPasswordLength}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Where the desk may be used from, and which reverse proxies are believed (sections <c>Desk</c> and <c>ForwardedHeaders</c>).</summary>
internal sealed class DeskOptions
{
    /// <summary>Origins besides the gateway's own that may call the desk API and hub with an agent's cookie, e.g. <c>https://desk.example.com</c>.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}

internal sealed class ProxyOptions
{
    /// <summary>Addresses of reverse proxies whose X-Forwarded-For/-Proto are believed. Empty with no networks: loopback only.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies in CIDR form, e.g. <c>10.0.0.0/8</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

internal sealed class DeskOptionsValidator : IValidateOptions<DeskOptions>
{
    public ValidateOptionsResult Validate(string? name, DeskOptions o)
    {
        var errors = new List<string>();
        for (var i = 0; i < o.AllowedOrigins.Count; i++)
        {
            if (!Uri.TryCreate(o.AllowedOrigins[i], UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/")
            {
                errors.Add($"Desk:AllowedOrigins:{i} must be an origin such as https://desk.example.com, not '{o.AllowedOrigins[i]}'.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class ProxyOptionsValidator : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions o)
    {
        var errors = new List<string>();
        for (var i = 0; i < o.KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(o.KnownProxies[i], out _))
            {
                errors.Add($"ForwardedHeaders:KnownProxies:{i} must be an IP address, not '{o.KnownProxies[i]}'.");
            }
        }

        for (var i = 0; i < o.KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(o.KnownNetworks[i], out _))
            {
                errors.Add($"ForwardedHeaders:KnownNetworks:{i} must be a network in CIDR form such as 10.0.0.0/8, not '{o.KnownNetworks[i]}'.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
