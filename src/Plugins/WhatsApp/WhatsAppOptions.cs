namespace ChatGateway.Plugins.WhatsApp;

/// <summary>Settings of one WhatsApp instance, bound from its <c>plugins.json</c> entry and <c>Channels:{id}</c>.</summary>
internal sealed record WhatsAppOptions
{
    /// <summary>Secret: signs the webhook (<c>X-WhatsApp-Signature</c>). Environment only, never in plugins.json.</summary>
    public string ChannelSecret { get; init; } = "";

    /// <summary>Secret: the Bearer token of API calls. Environment only, never in plugins.json.</summary>
    public string AccessToken { get; init; } = "";

    /// <summary>Where the provider's REST API lives, e.g. <c>https://api.whatsapp.example</c>.</summary>
    public string ApiBaseAddress { get; init; } = "";

    /// <summary>Largest webhook body accepted; larger ones get 413 before anything is parsed.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>How long one API call may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    // Records print every property; two of these are secrets.
    public override string ToString() =>
        $"WhatsAppOptions {{ ChannelSecret = ***, AccessToken = ***, ApiBaseAddress = {ApiBaseAddress}, MaxBodyBytes = {MaxBodyBytes}, RequestTimeout = {RequestTimeout} }}";
}
