using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.ShopOrders;

/// <summary>The settings of one order events instance (plugins.json <c>settings</c>, secrets under <c>Channels:{id}</c>).</summary>
public sealed class ShopOrdersOptions
{
    /// <summary><c>standard</c> (the documented JSON format, Standard Webhooks signatures) or <c>shopify</c>.</summary>
    public string Format { get; set; } = "standard";

    /// <summary>standard: the <c>whsec_</c> signing secret; shopify: the app's client secret. Never in plugins.json.</summary>
    public string Secret { get; set; } = "";

    /// <summary>Largest event body accepted, in bytes.</summary>
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    /// <summary>How far a standard event's timestamp may be from the gateway's clock (older: a replay; newer: a wrong clock).</summary>
    public TimeSpan Tolerance { get; set; } = TimeSpan.FromMinutes(5);

    internal bool IsShopify => string.Equals(Format, "shopify", StringComparison.OrdinalIgnoreCase);
}

internal sealed class ShopOrdersOptionsValidator(ChannelInstance instance) : IValidateOptions<ShopOrdersOptions>
{
    public ValidateOptionsResult Validate(string? name, ShopOrdersOptions options)
    {
        var errors = new List<string>();
        var standard = string.Equals(options.Format, "standard", StringComparison.OrdinalIgnoreCase);
        if (!standard && !options.IsShopify)
        {
            errors.Add($"Format '{options.Format}' must be standard or shopify");
        }

        if (string.IsNullOrWhiteSpace(options.Secret))
        {
            errors.Add($"Secret is required (set the environment variable Channels__{instance.Id}__Secret; never write it in plugins.json)");
        }
        else if (standard && StandardWebhooks.SecretBytes(options.Secret) is null)
        {
            errors.Add("Secret must be a Standard Webhooks secret: whsec_ followed by base64 (at least 24 bytes)");
        }

        if (options.MaxBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            errors.Add("MaxBodyBytes must be from 1024 to 16777216");
        }

        if (options.Tolerance < TimeSpan.FromSeconds(30) || options.Tolerance > TimeSpan.FromHours(1))
        {
            errors.Add("Tolerance must be from 00:00:30 to 01:00:00");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
