using System.Text.Json.Serialization;

using Refit;

namespace ChatGateway.Plugins.WeChat.Api;

/// <summary>
/// The part of WeChat's API (<c>https://api.weixin.qq.com</c>) the channel uses. The access_token (and for
/// <c>cgi-bin/token</c> the AppSecret) travel in the query string, so nothing here is logged and Refit's exceptions, whose
/// <c>Uri</c> holds them, never leave <see cref="WeChatApiClient"/>. WeChat answers most errors HTTP 200 with
/// <c>{"errcode":…,"errmsg":…}</c>. Network failures do not throw: they are the response's <see cref="IApiResponse.Error"/>.
/// </summary>
internal interface IWeChatApi
{
    [Get("/cgi-bin/token?grant_type=client_credential")]
    Task<IApiResponse<WeChatReply>> GetTokenAsync([AliasAs("appid")] string appId, [AliasAs("secret")] string secret, CancellationToken cancellationToken);

    /// <summary>A customer-service message (客服消息): text, or a picture uploaded first as temporary media.</summary>
    [Post("/cgi-bin/message/custom/send")]
    Task<IApiResponse<WeChatReply>> SendCustomMessageAsync(
        [AliasAs("access_token")] string accessToken, [Body] WeChatCustomMessage message, CancellationToken cancellationToken);

    /// <summary>A temporary media file (a customer's picture or voice message): its bytes, or WeChat's error as JSON.</summary>
    [Get("/cgi-bin/media/get")]
    Task<HttpResponseMessage> GetMediaAsync(
        [AliasAs("access_token")] string accessToken, [AliasAs("media_id")] string mediaId, CancellationToken cancellationToken);

    /// <summary>Uploads a temporary media file (kept 3 days by WeChat); <paramref name="type"/> is <c>image</c>, <c>voice</c>…</summary>
    [Multipart]
    [Post("/cgi-bin/media/upload")]
    Task<IApiResponse<WeChatReply>> UploadMediaAsync(
        [Query, AliasAs("access_token")] string accessToken, [Query] string type, StreamPart media, CancellationToken cancellationToken);

    /// <summary>A follower's basic information (language, UnionID); WeChat no longer gives nicknames or pictures here.</summary>
    [Get("/cgi-bin/user/info?lang=zh_CN")]
    Task<IApiResponse<WeChatUserInfo>> GetUserInfoAsync(
        [AliasAs("access_token")] string accessToken, [AliasAs("openid")] string openId, CancellationToken cancellationToken);
}

/// <summary>WeChat's answer: errcode 0 (or absent) on success, with what the call returns.</summary>
internal sealed record WeChatReply
{
    [JsonPropertyName("errcode")]
    public int ErrCode { get; init; }

    [JsonPropertyName("errmsg")]
    public string? ErrMsg { get; init; }

    [JsonPropertyName("access_token")]
    public string? AccessToken { get; init; }

    [JsonPropertyName("expires_in")]
    public int ExpiresIn { get; init; }

    [JsonPropertyName("media_id")]
    public string? MediaId { get; init; }
}

/// <summary>The answer of <c>cgi-bin/user/info</c>; <c>subscribe</c> 0 means the user does not follow the account (no more fields).</summary>
internal sealed record WeChatUserInfo
{
    [JsonPropertyName("errcode")]
    public int ErrCode { get; init; }

    [JsonPropertyName("errmsg")]
    public string? ErrMsg { get; init; }

    [JsonPropertyName("subscribe")]
    public int Subscribe { get; init; }

    [JsonPropertyName("openid")]
    public string? OpenId { get; init; }

    [JsonPropertyName("language")]
    public string? Language { get; init; }

    [JsonPropertyName("unionid")]
    public string? UnionId { get; init; }
}

/// <summary>The body of <c>POST cgi-bin/message/custom/send</c>: <c>{"touser","msgtype","text":{"content"}}</c> or <c>"image":{"media_id"}</c>.</summary>
internal sealed record WeChatCustomMessage
{
    [JsonPropertyName("touser")]
    public required string ToUser { get; init; }

    [JsonPropertyName("msgtype")]
    public required string MsgType { get; init; }

    [JsonPropertyName("text")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public WeChatText? Text { get; init; }

    [JsonPropertyName("image")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public WeChatMedia? Image { get; init; }
}

internal sealed record WeChatText([property: JsonPropertyName("content")] string Content);

internal sealed record WeChatMedia([property: JsonPropertyName("media_id")] string MediaId);
