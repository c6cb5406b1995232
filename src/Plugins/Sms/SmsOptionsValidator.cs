using System.Text.RegularExpressions;

using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Sms;

/// <summary>Reports every bad or missing setting at once, each naming its key.</summary>
internal sealed partial class SmsOptionsValidator(ChannelInstance instance) : IValidateOptions<SmsOptions>
{
    public ValidateOptionsResult Validate(string? name, SmsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(options.AccountSid))
        {
            errors.Add("AccountSid is required");
        }

        if (string.IsNullOrWhiteSpace(options.AuthToken))
        {
            errors.Add($"AuthToken is required (set the environment variable Channels__{instance.Id}__AuthToken; never write it in plugins.json)");
        }

        if (string.IsNullOrWhiteSpace(options.FromNumber))
        {
            errors.Add("FromNumber is required");
        }
        else if (!IsE164(options.FromNumber))
        {
            errors.Add("FromNumber must be an E.164 phone number such as +14155550100");
        }

        if (string.IsNullOrWhiteSpace(options.PublicBaseUrl))
        {
            errors.Add("PublicBaseUrl is required (the public URL Twilio calls, e.g. https://shop.example/)");
        }
        else if (!TryParseHttpUrl(options.PublicBaseUrl, out var publicBase))
        {
            errors.Add("PublicBaseUrl must be an absolute http(s) URL");
        }
        else if (publicBase.Query.Length > 0 || publicBase.Fragment.Length > 0)
        {
            errors.Add("PublicBaseUrl must not have a query or fragment");
        }

        if (!TryParseHttpUrl(options.ApiBaseAddress, out _))
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

        if (options.MediaUrlLifetime < TimeSpan.FromMinutes(1) || options.MediaUrlLifetime > TimeSpan.FromDays(7))
        {
            errors.Add("MediaUrlLifetime must be between 00:01:00 and 7.00:00:00 (Twilio fetches a message's media when it sends it)");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static bool IsE164(string value) => E164().IsMatch(value);

    private static bool TryParseHttpUrl(string? value, out Uri uri) =>
        Uri.TryCreate(value, UriKind.Absolute, out uri!)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}$", RegexOptions.CultureInvariant)]
    private static partial Regex E164();
}
