namespace ChatGateway.Plugins.Sms;

/// <summary>Settings of one SMS instance, bound from its <c>plugins.json</c> entry and <c>Channels:{id}</c>.</summary>
internal sealed record SmsOptions
{
    public const string DefaultApiBaseAddress = "https://api.twilio.com";

    /// <summary>The Twilio account (<c>AC...</c>); webhooks must carry the same one.</summary>
    public string AccountSid { get; init; } = "";

    /// <summary>Secret: signs webhooks and authenticates API calls. Set it through the environment, never in plugins.json.</summary>
    public string AuthToken { get; init; } = "";

    /// <summary>The shop's Twilio number in E.164 form; replies are sent from it.</summary>
    public string FromNumber { get; init; } = "";

    /// <summary>The public URL Twilio calls, e.g. <c>https://shop.example/</c>; webhook signatures are computed over it.</summary>
    public string PublicBaseUrl { get; init; } = "";

    public string ApiBaseAddress { get; init; } = DefaultApiBaseAddress;

    /// <summary>Ask Twilio to report delivery status to <c>/channels/{id}/status</c> for every sent message.</summary>
    public bool StatusCallback { get; init; } = true;

    /// <summary>Largest webhook body accepted; larger ones get 413 before anything is parsed.</summary>
    public int MaxBodyBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// How long one call to the Twilio API may take before it counts as a transient failure; also the limit for fetching
    /// and storing one MMS media file of an inbound message.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a public media URL given to Twilio for an outbound MMS stays valid.</summary>
    public TimeSpan MediaUrlLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The URL Twilio uses for a path under this gateway, e.g. <c>/channels/sms-main/status</c>.</summary>
    public string PublicUrlFor(string pathAndQuery) => PublicBaseUrl.TrimEnd('/') + pathAndQuery;

    // Records print every property; this one holds a secret.
    public override string ToString() =>
        $"SmsOptions {{ AccountSid = {AccountSid}, AuthToken = ***, FromNumber = {FromNumber}, PublicBaseUrl = {PublicBaseUrl}, "
        + $"ApiBaseAddress = {ApiBaseAddress}, StatusCallback = {StatusCallback}, MaxBodyBytes = {MaxBodyBytes}, RequestTimeout = {RequestTimeout}, MediaUrlLifetime = {MediaUrlLifetime} }}";
}
