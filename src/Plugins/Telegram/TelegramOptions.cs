namespace ChatGateway.Plugins.Telegram;

/// <summary>Settings of one Telegram instance, bound from its <c>plugins.json</c> entry and <c>Channels:{id}</c>.</summary>
internal sealed record TelegramOptions
{
    /// <summary>Secret: signs the webhook (<c>X-Telegram-Signature</c>). Environment only, never in plugins.json.</summary>
    public string ChannelSecret { get; init; } = "";

    /// <summary>Secret: the Bearer token of API calls. Environment only, never in plugins.json.</summary>
    public string AccessToken { get; init; } = "";

    /// <summary>Where the provider's REST API lives, e.g. <c>https://api.telegram.example</c>.</summary>
    public string ApiBaseAddress { get; init; } = "";

    /// <summary>Largest webhook body accepted; larger ones get 413 before anything is parsed.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>How long one API call may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    // Records print every property; two of these are secrets.
    public override string ToString() =>
        $"TelegramOptions {{ ChannelSecret = ***, AccessToken = ***, ApiBaseAddress = {ApiBaseAddress}, MaxBodyBytes = {MaxBodyBytes}, RequestTimeout = {RequestTimeout} }}";
}
