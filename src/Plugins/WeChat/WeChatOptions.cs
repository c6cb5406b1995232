namespace ChatGateway.Plugins.WeChat;

/// <summary>Settings of one WeChat Official Account instance, bound from its <c>plugins.json</c> entry and <c>Channels:{id}</c>.</summary>
internal sealed record WeChatOptions
{
    /// <summary>The account's AppID (开发者ID). Checked against the AppId inside every safe-mode message.</summary>
    public string AppId { get; init; } = "";

    /// <summary>Secret: the AppSecret that fetches the access_token. Environment only, never in plugins.json.</summary>
    public string AppSecret { get; init; } = "";

    /// <summary>Secret: the server-configuration Token (令牌) that signs every webhook. Environment only.</summary>
    public string Token { get; init; } = "";

    /// <summary>Secret: the 43-character EncodingAESKey (消息加解密密钥) of safe mode; empty accepts plaintext mode only.</summary>
    public string EncodingAESKey { get; init; } = "";

    /// <summary>Where WeChat's API lives.</summary>
    public string ApiBaseAddress { get; init; } = "https://api.weixin.qq.com";

    /// <summary>Largest webhook body accepted; larger ones get 413 before anything is parsed.</summary>
    public int MaxBodyBytes { get; init; } = 64 * 1024;

    /// <summary>How long one API call may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    // Records print every property; three of these are secrets.
    public override string ToString() =>
        $"WeChatOptions {{ AppId = {AppId}, AppSecret = ***, Token = ***, EncodingAESKey = ***, ApiBaseAddress = {ApiBaseAddress}, MaxBodyBytes = {MaxBodyBytes}, RequestTimeout = {RequestTimeout} }}";
}
