using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WeChat;

/// <summary>Reports every bad or missing setting at once, each naming its key.</summary>
internal sealed class WeChatOptionsValidator(ChannelInstance instance) : IValidateOptions<WeChatOptions>
{
    public ValidateOptionsResult Validate(string? name, WeChatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(options.AppId))
        {
            errors.Add("AppId is required (the account's AppID, 开发者ID)");
        }

        foreach (var (key, value) in new[] { ("AppSecret", options.AppSecret), ("Token", options.Token) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"{key} is required (set the environment variable Channels__{instance.Id}__{key}; never write it in plugins.json)");
            }
        }

        if (options.EncodingAESKey.Length > 0 && (options.EncodingAESKey.Length != 43 || Webhooks.WeChatCrypto.KeyFrom(options.EncodingAESKey) is null))
        {
            errors.Add($"EncodingAESKey must be the 43 characters the 公众平台 generated (set Channels__{instance.Id}__EncodingAESKey), or empty for plaintext mode");
        }

        if (string.IsNullOrWhiteSpace(options.ApiBaseAddress))
        {
            errors.Add("ApiBaseAddress is required (https://api.weixin.qq.com)");
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
        else if (options.RequestTimeout > TimeSpan.FromMinutes(10))
        {
            // Beyond what an HttpClient takes; the gateway's ProviderHttp:AttemptTimeout cuts a call sooner anyway.
            errors.Add($"RequestTimeout must be at most 00:10:00, not {options.RequestTimeout}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
