namespace ChatGateway.Plugins.Line;

/// <summary>Settings of one LINE instance, bound from its <c>plugins.json</c> entry and <c>Channels:{id}</c>.</summary>
internal sealed record LineOptions
{
    /// <summary>Secret: signs the webhook (<c>x-line-signature</c>). Environment only, never in plugins.json.</summary>
    public string ChannelSecret { get; init; } = "";

    /// <summary>Secret: the long-lived channel access token, the Bearer token of API calls. Environment only.</summary>
    public string ChannelAccessToken { get; init; } = "";

    /// <summary>The Messaging API (reply, push, profiles).</summary>
    public string ApiBaseAddress { get; init; } = "https://api.line.me";

    /// <summary>LINE's separate host for the content of customers' pictures and files.</summary>
    public string DataApiBaseAddress { get; init; } = "https://api-data.line.me";

    /// <summary>Largest webhook body accepted; larger ones get 413 before anything is parsed.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>How long one API call (or one content download) may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after its event a reply token is handed to an answer. LINE does not promise a figure ("use it
    /// promptly"); past it the answer is pushed, and a token LINE refuses all the same falls back to push.
    /// </summary>
    public TimeSpan ReplyTokenLifetime { get; init; } = TimeSpan.FromSeconds(50);

    /// <summary>How long a fetched display name (or group name) is kept before it is fetched again.</summary>
    public TimeSpan ProfileCacheDuration { get; init; } = TimeSpan.FromHours(1);

    // Records print every property; two of these are secrets.
    public override string ToString() =>
        $"LineOptions {{ ChannelSecret = ***, ChannelAccessToken = ***, ApiBaseAddress = {ApiBaseAddress}, DataApiBaseAddress = {DataApiBaseAddress}, MaxBodyBytes = {MaxBodyBytes}, RequestTimeout = {RequestTimeout}, ReplyTokenLifetime = {ReplyTokenLifetime}, ProfileCacheDuration = {ProfileCacheDuration} }}";
}
