using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Telegram;

/// <summary>Reports every bad or missing setting at once, each naming its key.</summary>
internal sealed class TelegramOptionsValidator(ChannelInstance instance) : IValidateOptions<TelegramOptions>
{
    public ValidateOptionsResult Validate(string? name, TelegramOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(options.BotToken))
        {
            errors.Add($"BotToken is required (BotFather's token; set the environment variable Channels__{instance.Id}__BotToken; never write it in plugins.json)");
        }
        else if (options.BotToken.Any(c => c is '/' or '?' or '#' or '%' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            errors.Add("BotToken must be the token as BotFather gives it (digits, ':' and letters)");
        }

        if (string.IsNullOrWhiteSpace(options.SecretToken))
        {
            errors.Add($"SecretToken is required (1-256 of A-Z a-z 0-9 _ -; set the environment variable Channels__{instance.Id}__SecretToken; never write it in plugins.json)");
        }
        else if (options.SecretToken.Length > 256 || !options.SecretToken.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            errors.Add("SecretToken must be 1-256 characters of A-Z, a-z, 0-9, _ and - (what Telegram accepts as secret_token)");
        }

        if (string.IsNullOrWhiteSpace(options.ApiBaseAddress))
        {
            errors.Add("ApiBaseAddress is required (https://api.telegram.org)");
        }
        else if (!Uri.TryCreate(options.ApiBaseAddress, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttps && api.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add("ApiBaseAddress must be an absolute http(s) URL");
        }

        if (!string.IsNullOrWhiteSpace(options.WebhookUrl)
            && (!Uri.TryCreate(options.WebhookUrl, UriKind.Absolute, out var hook) || (hook.Scheme != Uri.UriSchemeHttps && hook.Scheme != Uri.UriSchemeHttp)))
        {
            errors.Add($"WebhookUrl must be an absolute https URL (the public address of /channels/{instance.Id}/webhook), or left out");
        }

        if (options.LongPolling && !string.IsNullOrWhiteSpace(options.WebhookUrl))
        {
            errors.Add("WebhookUrl and LongPolling exclude each other (Telegram refuses getUpdates while a webhook is set): leave one out");
        }

        if (options.PollTimeout < TimeSpan.FromSeconds(1) || options.PollTimeout > TimeSpan.FromSeconds(50))
        {
            errors.Add("PollTimeout must be between 00:00:01 and 00:00:50");
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

        if (options.MaxRegistrationBackoff <= TimeSpan.Zero)
        {
            errors.Add("MaxRegistrationBackoff must be greater than 0");
        }
        else if (options.MaxRegistrationBackoff > TimeSpan.FromDays(1))
        {
            errors.Add($"MaxRegistrationBackoff must be at most 1.00:00:00, not {options.MaxRegistrationBackoff}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
