using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WhatsApp;

/// <summary>Reports every bad or missing setting at once, each naming its key.</summary>
internal sealed class WhatsAppOptionsValidator(ChannelInstance instance) : IValidateOptions<WhatsAppOptions>
{
    public ValidateOptionsResult Validate(string? name, WhatsAppOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(options.ChannelSecret))
        {
            errors.Add($"ChannelSecret is required (set the environment variable Channels__{instance.Id}__ChannelSecret; never write it in plugins.json)");
        }

        if (string.IsNullOrWhiteSpace(options.AccessToken))
        {
            errors.Add($"AccessToken is required (set the environment variable Channels__{instance.Id}__AccessToken; never write it in plugins.json)");
        }

        if (string.IsNullOrWhiteSpace(options.ApiBaseAddress))
        {
            errors.Add("ApiBaseAddress is required (where the provider's API lives, e.g. https://api.whatsapp.example)");
        }
        else if (!Uri.TryCreate(options.ApiBaseAddress, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttps && api.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add("ApiBaseAddress must be an absolute http(s) URL");
        }

        if (options.MaxBodyBytes <= 0)
        {
            errors.Add("MaxBodyBytes must be greater than 0");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add("RequestTimeout must be greater than 0");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
