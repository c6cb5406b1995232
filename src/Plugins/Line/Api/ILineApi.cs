using System.Text.Json.Serialization;

using Refit;

namespace ChatGateway.Plugins.Line.Api;

/// <summary>
/// The part of LINE's Messaging API (<c>https://api.line.me</c>) the channel uses. Every call carries the channel access
/// token as a Bearer token. Network failures do not throw: the response's <see cref="IApiResponse.Error"/> is an
/// <see cref="ApiRequestException"/> holding them.
/// </summary>
internal interface ILineApi
{
    /// <summary>Answers an event with its reply token: free of the monthly message quota, single use, short-lived.</summary>
    [Post("/v2/bot/message/reply")]
    Task<IApiResponse<LineSentMessages>> ReplyAsync([Body] LineReplyRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Sends to a user, group or room at any time (counts against the quota). LINE keeps an accepted
    /// <c>X-Line-Retry-Key</c> for a day and answers it again with 409 and <c>x-line-accepted-request-id</c>, sending nothing.
    /// </summary>
    [Post("/v2/bot/message/push")]
    Task<IApiResponse<LineSentMessages>> PushAsync(
        [Body] LinePushRequest request, [Header("X-Line-Retry-Key")] string retryKey, CancellationToken cancellationToken);

    [Get("/v2/bot/profile/{userId}")]
    Task<IApiResponse<LineProfile>> GetProfileAsync(string userId, CancellationToken cancellationToken);

    [Get("/v2/bot/group/{groupId}/member/{userId}")]
    Task<IApiResponse<LineProfile>> GetGroupMemberProfileAsync(string groupId, string userId, CancellationToken cancellationToken);

    [Get("/v2/bot/room/{roomId}/member/{userId}")]
    Task<IApiResponse<LineProfile>> GetRoomMemberProfileAsync(string roomId, string userId, CancellationToken cancellationToken);

    [Get("/v2/bot/group/{groupId}/summary")]
    Task<IApiResponse<LineGroupSummary>> GetGroupSummaryAsync(string groupId, CancellationToken cancellationToken);
}

/// <summary>A message object; the channel sends text only.</summary>
internal sealed record LineTextMessage
{
    [JsonPropertyName("type")]
    public string Type { get; init; } = "text";

    [JsonPropertyName("text")]
    public required string Text { get; init; }
}

/// <summary>The body of <c>POST /v2/bot/message/reply</c>.</summary>
internal sealed record LineReplyRequest
{
    [JsonPropertyName("replyToken")]
    public required string ReplyToken { get; init; }

    [JsonPropertyName("messages")]
    public required IReadOnlyList<LineTextMessage> Messages { get; init; }
}

/// <summary>The body of <c>POST /v2/bot/message/push</c>: <c>to</c> is a user, group or room id.</summary>
internal sealed record LinePushRequest
{
    [JsonPropertyName("to")]
    public required string To { get; init; }

    [JsonPropertyName("messages")]
    public required IReadOnlyList<LineTextMessage> Messages { get; init; }
}

/// <summary>The answer to a reply or a push: <c>{"sentMessages":[{"id":"...","quoteToken":"..."}]}</c>.</summary>
internal sealed record LineSentMessages
{
    [JsonPropertyName("sentMessages")]
    public IReadOnlyList<LineSentMessage>? SentMessages { get; init; }
}

internal sealed record LineSentMessage
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

/// <summary>A user's profile, or a group or room member's (which has no language or status message).</summary>
internal sealed record LineProfile
{
    [JsonPropertyName("displayName")]
    public string? DisplayName { get; init; }

    [JsonPropertyName("userId")]
    public string? UserId { get; init; }

    [JsonPropertyName("language")]
    public string? Language { get; init; }

    [JsonPropertyName("pictureUrl")]
    public string? PictureUrl { get; init; }
}

/// <summary>A group's name and picture.</summary>
internal sealed record LineGroupSummary
{
    [JsonPropertyName("groupId")]
    public string? GroupId { get; init; }

    [JsonPropertyName("groupName")]
    public string? GroupName { get; init; }

    [JsonPropertyName("pictureUrl")]
    public string? PictureUrl { get; init; }
}
