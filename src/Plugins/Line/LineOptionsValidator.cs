using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Line;

/// <summary>Reports every bad or missing setting at once, each naming its key.</summary>
internal sealed class LineOptionsValidator(ChannelInstance instance) : IValidateOptions<LineOptions>
{
    public ValidateOptionsResult Validate(string? name, LineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(options.ChannelSecret))
        {
            errors.Add($"ChannelSecret is required (the channel secret of the LINE Developers console; set the environment variable Channels__{instance.Id}__ChannelSecret, never in plugins.json)");
        }

        if (string.IsNullOrWhiteSpace(options.ChannelAccessToken))
        {
            errors.Add($"ChannelAccessToken is required (a long-lived channel access token; set the environment variable Channels__{instance.Id}__ChannelAccessToken, never in plugins.json)");
        }

        CheckUrl(errors, nameof(LineOptions.ApiBaseAddress), options.ApiBaseAddress, "https://api.line.me");
        CheckUrl(errors, nameof(LineOptions.DataApiBaseAddress), options.DataApiBaseAddress, "https://api-data.line.me");

        if (options.MaxBodyBytes <= 0)
        {
            errors.Add("MaxBodyBytes must be greater than 0");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add("RequestTimeout must be greater than 0");
        }
        else if (options.RequestTimeout > TimeSpan.FromMinutes(10))
        {
            // Beyond what an HttpClient takes; the gateway's ProviderHttp:AttemptTimeout cuts a call sooner anyway.
            errors.Add($"RequestTimeout must be at most 00:10:00, not {options.RequestTimeout}");
        }

        if (options.ReplyTokenLifetime <= TimeSpan.Zero || options.ReplyTokenLifetime > TimeSpan.FromMinutes(10))
        {
            errors.Add("ReplyTokenLifetime must be between 0 and 10 minutes (LINE's tokens are short-lived; the default is 00:00:50)");
        }

        if (options.ProfileCacheDuration <= TimeSpan.Zero)
        {
            errors.Add("ProfileCacheDuration must be greater than 0");
        }
        else if (options.ProfileCacheDuration > TimeSpan.FromDays(30))
        {
            errors.Add($"ProfileCacheDuration must be at most 30.00:00:00, not {options.ProfileCacheDuration}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckUrl(List<string> errors, string key, string value, string example)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{key} must not be empty (leave it out for {example})");
        }
        else if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{key} must be an absolute http(s) URL, e.g. {example}");
        }
    }
}
