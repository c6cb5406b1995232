using System.Text.RegularExpressions;

using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WhatsApp;

/// <summary>Reports every bad or missing setting at once, each naming its key.</summary>
internal sealed partial class WhatsAppOptionsValidator(ChannelInstance instance) : IValidateOptions<WhatsAppOptions>
{
    public ValidateOptionsResult Validate(string? name, WhatsAppOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        Secret(errors, nameof(WhatsAppOptions.AppSecret), options.AppSecret, "the app secret of the Meta app (App settings > Basic)");
        Secret(errors, nameof(WhatsAppOptions.VerifyToken), options.VerifyToken, "a random string you also type in the Meta console's webhook settings");
        Secret(errors, nameof(WhatsAppOptions.AccessToken), options.AccessToken, "a system user's permanent access token with whatsapp_business_messaging");

        if (string.IsNullOrWhiteSpace(options.PhoneNumberId) || !Digits().IsMatch(options.PhoneNumberId))
        {
            errors.Add("PhoneNumberId is required: the digits of the phone number id (WhatsApp > API Setup in the Meta console), not the phone number");
        }

        if (string.IsNullOrWhiteSpace(options.ApiBaseAddress))
        {
            errors.Add("ApiBaseAddress must not be empty (leave it out for https://graph.facebook.com)");
        }
        else if (!Uri.TryCreate(options.ApiBaseAddress, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add("ApiBaseAddress must be an absolute http(s) URL, e.g. https://graph.facebook.com");
        }

        if (string.IsNullOrWhiteSpace(options.ApiVersion) || !Version().IsMatch(options.ApiVersion))
        {
            errors.Add("ApiVersion must be a Graph API version such as v21.0");
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

        foreach (var (templateName, template) in options.Templates)
        {
            if (template.Language.Length == 0 || !Language().IsMatch(template.Language))
            {
                errors.Add($"Templates:{templateName}:Language must be the template's language code as approved, e.g. en_US");
            }

            if (template.Parameters.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"Templates:{templateName}:Parameters must not hold empty values (a fixed text, or {{text}} for the message)");
            }
        }

        if (options.FollowUpTemplate.Length > 0 && !options.Templates.ContainsKey(options.FollowUpTemplate))
        {
            errors.Add($"FollowUpTemplate names {options.FollowUpTemplate}, which is not under Templates (add Templates:{options.FollowUpTemplate}:Language)");
        }

        foreach (var (kind, templateName) in options.FollowUpTemplates)
        {
            if (!FollowUpKinds.Contains(kind))
            {
                errors.Add($"FollowUpTemplates:{kind} is not a follow-up kind (one of {string.Join(", ", FollowUpKinds)})");
            }

            if (string.IsNullOrWhiteSpace(templateName))
            {
                errors.Add($"FollowUpTemplates:{kind} must name a template under Templates (or leave the key out for FollowUpTemplate)");
            }
            else if (!options.Templates.ContainsKey(templateName))
            {
                errors.Add($"FollowUpTemplates:{kind} names {templateName}, which is not under Templates (add Templates:{templateName}:Language)");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The kinds of follow-up the gateway sends (<see cref="OutboundMessage.FollowUpKind"/>).</summary>
    private static readonly string[] FollowUpKinds =
        ["payment-reminder", "order-confirmation", "shipped", "delivery-check-in", "review-request", "return-visit", "greeting", "callback", "survey"];

    private void Secret(List<string> errors, string key, string value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{key} is required ({what}; set the environment variable Channels__{instance.Id}__{key}, never in plugins.json)");
        }
    }

    [GeneratedRegex("^[0-9]{1,32}$")]
    private static partial Regex Digits();

    [GeneratedRegex("^[a-z]{2,3}(_[A-Z]{2})?$")]
    private static partial Regex Language();

    [GeneratedRegex(@"^v[0-9]{1,3}\.[0-9]{1,3}$")]
    private static partial Regex Version();
}
